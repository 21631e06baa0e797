// GlobalKTable: a whole topic (every partition) replicated into each instance's global store, read by
// stream–global-table joins with a key derived from each record. It belongs to no sub-topology or task.
import type { Serde } from "../serdes/serde.ts";
import type { TopologyGraph } from "./graph.ts";

export class GlobalKTable<K, V> {
  /** The global store's name; also the name interactive queries would use. */
  readonly queryableStoreName: string;
  readonly topic: string;
  /** @internal */
  readonly graph: TopologyGraph;
  /** @internal */
  readonly keySerde: Serde<K>;
  /** @internal */
  readonly valueSerde: Serde<V>;

  /** @internal Built by StreamsBuilder.globalTable. */
  constructor(graph: TopologyGraph, topic: string, store: string, keySerde: Serde<K>, valueSerde: Serde<V>) {
    this.graph = graph;
    this.topic = topic;
    this.queryableStoreName = store;
    this.keySerde = keySerde;
    this.valueSerde = valueSerde;
  }
}
