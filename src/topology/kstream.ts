// KStream: an unbounded stream of records; each operator adds a node to the topology graph.
import { FilterProcessor, MapProcessor, MapValuesProcessor, PeekProcessor } from "../processor/stateless.ts";
import type { ProcessorSupplier } from "../processor/processor.ts";
import type { Serde } from "../serdes/serde.ts";
import type { TopologyGraph } from "./graph.ts";
import { KGroupedStream, type Grouped } from "./kgrouped-stream.ts";
import { TopologyError, type ErrorHandler } from "./graph.ts";

/** Options of an operator: `name` replaces the generated processor name. */
export interface Named {
  readonly name?: string;
}

export interface Produced<K, V> extends Named {
  readonly key: Serde<K>;
  readonly value: Serde<V>;
  /** This sink's handler of records it cannot produce; default: the application's `productionErrorHandler`. */
  readonly productionErrorHandler?: ErrorHandler;
}

/** The serdes a stream's records are known to have: set by a source, kept by operators that keep keys or values. */
export interface KnownSerdes<K, V> {
  readonly key?: Serde<K>;
  readonly value?: Serde<V>;
}

export class KStream<K, V> {
  private readonly graph: TopologyGraph;
  private readonly nodeName: string;
  private readonly serdes: KnownSerdes<K, V>;

  /** @internal Built by StreamsBuilder and by other operators, never by users. */
  constructor(graph: TopologyGraph, nodeName: string, serdes: KnownSerdes<K, V> = {}) {
    this.graph = graph;
    this.nodeName = nodeName;
    this.serdes = serdes;
  }

  /** Transforms each value; the key and timestamp stay. */
  mapValues<VOut>(mapper: (value: V, key: K) => VOut, options?: Named): KStream<K, VOut> {
    return this.addProcessor("KSTREAM-MAPVALUES", () => new MapValuesProcessor(mapper), options, { key: this.serdes.key });
  }

  /** Transforms each record into a new key and value. */
  map<KOut, VOut>(mapper: (key: K, value: V) => readonly [KOut, VOut], options?: Named): KStream<KOut, VOut> {
    return this.addProcessor("KSTREAM-MAP", () => new MapProcessor(mapper), options);
  }

  /** Keeps the records for which `predicate` is true. */
  filter(predicate: (key: K, value: V) => boolean, options?: Named): KStream<K, V> {
    return this.addProcessor("KSTREAM-FILTER", () => new FilterProcessor(predicate, true), options, this.serdes);
  }

  /** Keeps the records for which `predicate` is false. */
  filterNot(predicate: (key: K, value: V) => boolean, options?: Named): KStream<K, V> {
    return this.addProcessor("KSTREAM-FILTER", () => new FilterProcessor(predicate, false), options, this.serdes);
  }

  /** Calls `action` for each record and passes the record on unchanged. */
  peek(action: (key: K, value: V) => void, options?: Named): KStream<K, V> {
    return this.addProcessor("KSTREAM-PEEK", () => new PeekProcessor(action), options, this.serdes);
  }

  /** Runs a user processor (the Processor API). */
  process<KOut, VOut>(supplier: ProcessorSupplier<K, V, KOut, VOut>, options?: Named): KStream<KOut, VOut> {
    return this.addProcessor("KSTREAM-PROCESSOR", supplier, options);
  }

  /**
   * Groups the records by their current key, for an aggregation. The key serde is the stream's own
   * unless an operator changed the key (then pass `{ key }`); the value serde is needed only by `reduce`.
   */
  groupByKey(grouped: Grouped<K, V> = {}): KGroupedStream<K, V> {
    const key = grouped.key ?? this.serdes.key;
    if (!key) {
      throw new TopologyError(`groupByKey() after ${this.nodeName} needs { key: serde }: an operator there changed the key`);
    }
    return new KGroupedStream<K, V>(this.graph, this.nodeName, key, grouped.value ?? this.serdes.value);
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
      ...(produced.productionErrorHandler ? { productionErrorHandler: produced.productionErrorHandler } : {}),
    });
  }

  private addProcessor<KOut, VOut>(
    prefix: string,
    supplier: ProcessorSupplier<K, V, KOut, VOut>,
    options: Named | undefined,
    serdes: KnownSerdes<KOut, VOut> = {},
  ): KStream<KOut, VOut> {
    const name = options?.name ?? this.graph.nextName(prefix);
    this.graph.add({
      kind: "processor",
      name,
      supplier,
      parents: [this.nodeName],
      children: [],
      stores: [],
    });
    return new KStream<KOut, VOut>(this.graph, name, serdes);
  }
}
