// A fixture for join tests: the topology's one sub-topology run through `Task` on in-memory SQLite stores,
// with the topology's global stores (GlobalStores, in memory unless given) visible to it, as in the runtime.
import type { BatchMessage } from "../kafka/index.ts";
import { GlobalStores } from "../runtime/global-store.ts";
import { openStore } from "../runtime/open-store.ts";
import { ProcessorGraph } from "../runtime/processor-graph.ts";
import { serdes } from "../serdes/serde.ts";
import { StateFile } from "../state/state-file.ts";
import type { KeyValueStore } from "../state/types.ts";
import { StreamsBuilder } from "../topology/streams-builder.ts";
import { Topology } from "../topology/topology.ts";

export const strings = { key: serdes.string(), value: serdes.string() };

export interface JoinTask {
  readonly topology: Topology;
  readonly task: ProcessorGraph;
  /** Outputs as [topic, key, value], decoded as UTF-8; a tombstone's value is null. */
  readonly outputs: [string, string | null, string | null][];
  /** The outputs' timestamps, in the same order. */
  readonly timestamps: number[];
  readonly pipe: (topic: string, key: string | null, value: string | null, timestamp?: number) => void;
  readonly store: (name: string) => KeyValueStore<string, string>;
}

let offset = 0;

export function joinTask(build: (b: StreamsBuilder) => void, global?: GlobalStores): JoinTask {
  const b = new StreamsBuilder();
  build(b);
  const topology = b.build();
  if (topology.subTopologies.length !== 1) throw new Error(`expected one sub-topology, got ${topology.subTopologies.length}`);
  const sub = topology.subTopologies[0]!;
  const file = StateFile.inMemory({ cacheMaxBytes: 1 << 20 });
  const stores = new Map<string, unknown>();
  for (const def of sub.stores) {
    stores.set(def.name, openStore(file, def, Topology.changelogTopic("app", def.name), 0));
  }
  const globals = global ?? GlobalStores.open(":memory:", topology.globalStores, 1 << 20);
  for (const [name, store] of globals.stores) stores.set(name, store);
  const outputs: JoinTask["outputs"] = [];
  const timestamps: number[] = [];
  const collect = (r: { topic: string; key: Buffer | null; value: Buffer | null; timestamp: number }) => {
    outputs.push([r.topic, r.key?.toString() ?? null, r.value?.toString() ?? null]);
    timestamps.push(r.timestamp);
  };
  const task = new ProcessorGraph(sub, 0, "app", { collect }, stores);
  return {
    topology,
    task,
    outputs,
    timestamps,
    pipe: (topic, key, value, timestamp = 1000) => {
      const message: BatchMessage = {
        offset: String(offset++),
        key: key === null ? null : Buffer.from(key),
        value: value === null ? null : Buffer.from(value),
        timestamp: String(timestamp),
      };
      task.process(topic, message);
    },
    store: (name) => stores.get(name) as KeyValueStore<string, string>,
  };
}

/** Records of a global topic's partition as the consumer hands them over, from `first` on. */
export function globalBatch(first: number, records: readonly [string | null, string | null][]): BatchMessage[] {
  return records.map(([k, v], i) => ({
    offset: String(first + i),
    key: k === null ? null : Buffer.from(k),
    value: v === null ? null : Buffer.from(v),
    timestamp: "0",
  }));
}
