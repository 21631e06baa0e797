// Fixtures for the CEP operator's tests: a topology's first sub-topology run through a real Task whose
// stores live in a SQLite state file, with JSON values on the wire.
import { join } from "node:path";
import type { ProducedRecord } from "../kafka/index.ts";
import { ProcessorGraph } from "../runtime/processor-graph.ts";
import { StateFile } from "../state/state-file.ts";
import type { ChangelogRecord, KeyValueStore } from "../state/types.ts";
import type { StreamsBuilder } from "../topology/streams-builder.ts";
import type { Topology } from "../topology/topology.ts";

export interface Output {
  readonly topic: string;
  readonly key: string | null;
  readonly value: unknown;
  readonly timestamp: number;
}

/** One task over `<dir>/app/0_0.sqlite` (or in memory); reopen with the same dir to continue after a restart. */
export class TaskRun {
  readonly file: StateFile;
  readonly task: ProcessorGraph;
  /** The task's stores, by name. */
  readonly stores: ReadonlyMap<string, KeyValueStore<unknown, unknown>>;
  private readonly outputs: ProducedRecord[] = [];
  private offset = 0;

  constructor(topology: Topology, dir?: string) {
    const sub = topology.subTopologies[0]!;
    this.file = dir === undefined ? StateFile.inMemory({ cacheMaxBytes: 1 << 20 }) : StateFile.open(join(dir, "app", "0_0.sqlite"), { cacheMaxBytes: 1 << 20 });
    this.stores = new Map(
      sub.stores.map((s) => [
        s.name,
        this.file.keyValueStore({ name: s.name, keySerde: s.keySerde, valueSerde: s.valueSerde, changelogTopic: `app-${s.name}-changelog`, changelogPartition: 0 }),
      ]),
    );
    this.task = new ProcessorGraph(sub, 0, "app", { collect: (r) => this.outputs.push(r) }, this.stores);
  }

  static of(build: (b: StreamsBuilder) => void, builder: StreamsBuilder, dir?: string): TaskRun {
    build(builder);
    return new TaskRun(builder.build(), dir);
  }

  /** Pipes one record with a JSON value into `topic`. */
  pipe(topic: string, key: string | null, value: unknown, timestamp: number): this {
    this.task.process(topic, {
      offset: String(this.offset++),
      key: key === null ? null : Buffer.from(key),
      value: Buffer.from(JSON.stringify(value)),
      timestamp: String(timestamp),
    });
    return this;
  }

  /** The outputs since the last call, JSON values parsed. */
  take(): Output[] {
    return this.outputs.splice(0).map((r) => ({
      topic: r.topic,
      key: r.key === null ? null : r.key.toString(),
      value: r.value === null ? null : (JSON.parse(r.value.toString()) as unknown),
      timestamp: r.timestamp,
    }));
  }

  /** Commits the file (as a task commit does) and returns the changelog records it wrote. */
  commit(): ChangelogRecord[] {
    const changelog = this.file.flush();
    this.file.commit(new Map());
    return changelog;
  }

  close(): void {
    this.task.close();
    this.file.close();
  }
}
