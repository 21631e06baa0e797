// KStream: an unbounded stream of records; each operator adds a node to the topology graph.
import { FilterProcessor, MapProcessor, MapValuesProcessor, PeekProcessor } from "../processor/stateless.ts";
import type { ProcessorSupplier } from "../processor/processor.ts";
import type { Serde } from "../serdes/serde.ts";
import type { TopologyGraph } from "./graph.ts";

/** Options of an operator: `name` replaces the generated processor name. */
export interface Named {
  readonly name?: string;
}

export interface Produced<K, V> extends Named {
  readonly key: Serde<K>;
  readonly value: Serde<V>;
}

export class KStream<K, V> {
  private readonly graph: TopologyGraph;
  private readonly nodeName: string;

  /** @internal Built by StreamsBuilder and by other operators, never by users. */
  constructor(graph: TopologyGraph, nodeName: string) {
    this.graph = graph;
    this.nodeName = nodeName;
  }

  /** Transforms each value; the key and timestamp stay. */
  mapValues<VOut>(mapper: (value: V, key: K) => VOut, options?: Named): KStream<K, VOut> {
    return this.addProcessor("KSTREAM-MAPVALUES", () => new MapValuesProcessor(mapper), options);
  }

  /** Transforms each record into a new key and value. */
  map<KOut, VOut>(mapper: (key: K, value: V) => readonly [KOut, VOut], options?: Named): KStream<KOut, VOut> {
    return this.addProcessor("KSTREAM-MAP", () => new MapProcessor(mapper), options);
  }

  /** Keeps the records for which `predicate` is true. */
  filter(predicate: (key: K, value: V) => boolean, options?: Named): KStream<K, V> {
    return this.addProcessor("KSTREAM-FILTER", () => new FilterProcessor(predicate, true), options);
  }

  /** Keeps the records for which `predicate` is false. */
  filterNot(predicate: (key: K, value: V) => boolean, options?: Named): KStream<K, V> {
    return this.addProcessor("KSTREAM-FILTER", () => new FilterProcessor(predicate, false), options);
  }

  /** Calls `action` for each record and passes the record on unchanged. */
  peek(action: (key: K, value: V) => void, options?: Named): KStream<K, V> {
    return this.addProcessor("KSTREAM-PEEK", () => new PeekProcessor(action), options);
  }

  /** Runs a user processor (the Processor API). */
  process<KOut, VOut>(supplier: ProcessorSupplier<K, V, KOut, VOut>, options?: Named): KStream<KOut, VOut> {
    return this.addProcessor("KSTREAM-PROCESSOR", supplier, options);
  }

  /** Writes the stream to `topic`, which must exist. */
  to(topic: string, produced: Produced<K, V>): void {
    this.graph.add({
      kind: "sink",
      name: produced.name ?? this.graph.nextName("KSTREAM-SINK"),
      topic,
      keySerde: produced.key,
      valueSerde: produced.value,
      parents: [this.nodeName],
    });
  }

  private addProcessor<KOut, VOut>(
    prefix: string,
    supplier: ProcessorSupplier<K, V, KOut, VOut>,
    options: Named | undefined,
  ): KStream<KOut, VOut> {
    const name = options?.name ?? this.graph.nextName(prefix);
    this.graph.add({
      kind: "processor",
      name,
      supplier: supplier,
      parents: [this.nodeName],
      children: [],
    });
    return new KStream<KOut, VOut>(this.graph, name);
  }
}
