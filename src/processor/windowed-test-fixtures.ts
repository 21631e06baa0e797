// Fixtures for the windowed operators' tests: a topology run through a real Task with its stores opened by
// openStore on a SQLite state file, records piped with explicit timestamps, outputs decoded.
import type { ProducedRecord } from "../kafka/index.ts";
import { openStore, storedStreamTimeMs } from "../runtime/open-store.ts";
import { ProcessorGraph } from "../runtime/processor-graph.ts";
import { serdes, type Serde } from "../serdes/serde.ts";
import { StateFile } from "../state/state-file.ts";
import { StreamsBuilder } from "../topology/streams-builder.ts";
import type { Topology } from "../topology/topology.ts";

export const strings = { key: serdes.string(), value: serdes.string() };
export const windowedCounts = { key: serdes.windowed(serdes.string()), value: serdes.int64() };

/** One decoded output record: key, window start, window end, value (null = tombstone), timestamp. */
export type WindowedOutput = [key: string, start: number, end: number, value: number | null, timestamp: number];

export class WindowedRun {
  readonly topology: Topology;
  readonly state: StateFile;
  readonly task: ProcessorGraph;
  readonly outputs: ProducedRecord[] = [];
  private offset = 0;

  /** Opens the stores in `state` (in memory unless given) and recovers stream time from them, as StreamTask does. */
  constructor(topology: Topology, state: StateFile = StateFile.inMemory({ cacheMaxBytes: 1 << 20 })) {
    this.topology = topology;
    this.state = state;
    const sub = topology.subTopologies[0]!;
    const stores = new Map(sub.stores.map((def) => [def.name, openStore(state, def, `app-${def.name}-changelog`, 0)]));
    this.task = new ProcessorGraph(sub, 0, "app", { collect: (r) => this.outputs.push(r) }, stores);
    this.task.streamTimeMs = storedStreamTimeMs(stores.values());
  }

  static of(build: (b: StreamsBuilder) => void, state?: StateFile): WindowedRun {
    const b = new StreamsBuilder();
    build(b);
    return new WindowedRun(b.build(), state);
  }

  pipe(key: string, value: string, timestamp: number, topic = "in"): this {
    this.task.process(topic, { offset: String(this.offset++), key: Buffer.from(key), value: Buffer.from(value), timestamp: String(timestamp) });
    return this;
  }

  /** The outputs to `topic`, decoded with a windowed string key and an int64 value. */
  windowed(topic = "out"): WindowedOutput[] {
    return this.decoded(topic, windowedCounts.key, windowedCounts.value).map(([k, v, ts]) => [k.key, k.window.start, k.window.end, v, ts]);
  }

  decoded<K, V>(topic: string, key: Serde<K>, value: Serde<V>): [K, V | null, number][] {
    return this.outputs
      .filter((o) => o.topic === topic)
      .map((o) => [key.deserialize(o.key!, topic), o.value === null ? null : value.deserialize(o.value, topic), o.timestamp]);
  }

  /** Commits the state file as the runtime does after a Kafka commit. */
  commit(): void {
    this.state.flush();
    this.state.commit(new Map());
  }
}

/** The last value per window of windowed outputs: the table they describe (tombstones remove a window). */
export function finalTable(outputs: readonly WindowedOutput[]): Map<string, number> {
  const table = new Map<string, number>();
  for (const [k, start, end, v] of outputs) {
    const id = `${k}@[${start},${end}]`;
    if (v === null) table.delete(id);
    else table.set(id, v);
  }
  return table;
}
