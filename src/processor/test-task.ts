// A fixture for processor tests: one sub-topology run through `Task` on a real SQLite state file, without a
// broker. Outputs are collected decoded as strings; records are piped with a key, a value and a timestamp.
import type { ProducedRecord } from "../kafka/index.ts";
import { ProcessorGraph } from "../runtime/processor-graph.ts";
import { StateFile } from "../state/state-file.ts";
import type { StreamsBuilder } from "../topology/streams-builder.ts";
import { StreamsBuilder as Builder } from "../topology/streams-builder.ts";
import { Topology } from "../topology/topology.ts";

export interface TestTask {
  readonly task: ProcessorGraph;
  readonly file: StateFile;
  /** Outputs as [topic, key, value, timestamp], values decoded as UTF-8. */
  readonly outputs: [string, string | null, string | null, number][];
  readonly pipe: (key: string | null, value: string | null, timestamp: number, topic?: string) => void;
  /** Commits the file (the runtime would send the changelog in the Kafka transaction first). */
  readonly commit: () => void;
}

let offset = 0;

/** Builds the topology with `build`, and a task on partition 0 of its first sub-topology over `file` (in memory by default). */
export function testTask(build: (b: StreamsBuilder) => void, file: StateFile = StateFile.inMemory({ cacheMaxBytes: 1 << 20 })): TestTask {
  const b = new Builder();
  build(b);
  const sub = b.build().subTopologies[0]!;
  const stores = new Map<string, unknown>();
  for (const def of sub.stores) {
    stores.set(
      def.name,
      file.keyValueStore({ name: def.name, keySerde: def.keySerde, valueSerde: def.valueSerde, changelogTopic: Topology.changelogTopic("app", def.name), changelogPartition: 0 }),
    );
  }
  const raw: ProducedRecord[] = [];
  const outputs: TestTask["outputs"] = [];
  const task = new ProcessorGraph(sub, 0, "app", { collect: (r) => { raw.push(r); outputs.push([r.topic, r.key?.toString() ?? null, r.value?.toString() ?? null, r.timestamp]); } }, stores);
  return {
    task,
    file,
    outputs,
    pipe: (key, value, timestamp, topic = sub.sourceTopics[0]!) =>
      task.process(topic, {
        offset: String(offset++),
        key: key === null ? null : Buffer.from(key),
        value: value === null ? null : Buffer.from(value),
        timestamp: String(timestamp),
      }),
    commit: () => {
      file.flush();
      file.commit(new Map());
    },
  };
}
