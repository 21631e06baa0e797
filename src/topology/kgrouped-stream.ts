// KGroupedStream: records grouped by key, waiting for an aggregation that turns them into a KTable.
import { StreamAggregateProcessor, type Aggregator, type Initializer, type Reducer } from "../processor/aggregate.ts";
import { serdes as builtIn, type Serde } from "../serdes/serde.ts";
import { TopologyError, type TopologyGraph } from "./graph.ts";
import { KTable } from "./ktable.ts";
import { CogroupedKStream, type CogroupInput } from "./cogrouped-kstream.ts";
import { SessionWindowedKStream, TimeWindowedKStream, type WindowedOptions } from "./windowed-kstream.ts";
import { SessionWindows, type SlidingWindows, type TimeWindows } from "./windows.ts";

export interface Grouped<K, V> {
  /** Names the repartition topic `<applicationId>-<name>-repartition` when grouping needs one (the key changed). */
  readonly name?: string;
  readonly key?: Serde<K>;
  readonly value?: Serde<V>;
}

/** Where an aggregation keeps its state: a named, queryable key-value store with a changelog. */
export interface Materialized<V> {
  /** The store's name; also names its changelog topic `<applicationId>-<store>-changelog`. */
  readonly store?: string;
  readonly value?: Serde<V>;
}

/**
 * The store of a KTable-producing aggregation (count, reduce, aggregate of a grouped stream or table, a cogroup's
 * aggregate). With
 * `statestoreCacheMaxBytes` > 0 it is behind the record cache: updates of a key are merged between commits and
 * only the latest is forwarded, as in Kafka Streams; `caching: false` forwards every update of this store anyway.
 */
export interface CachedMaterialized<V> extends Materialized<V> {
  /** Kafka Streams' Materialized.withCachingDisabled() when false; default true (on when the budget is > 0). */
  readonly caching?: boolean;
}

export class KGroupedStream<K, V> {
  private readonly graph: TopologyGraph;
  private readonly parent: string;
  private readonly keySerde: Serde<K>;
  private readonly valueSerde: Serde<V> | undefined;

  /** @internal Built by KStream.groupByKey. */
  constructor(graph: TopologyGraph, parent: string, keySerde: Serde<K>, valueSerde: Serde<V> | undefined) {
    this.graph = graph;
    this.parent = parent;
    this.keySerde = keySerde;
    this.valueSerde = valueSerde;
  }

  /** The number of records per key. */
  count(materialized: Omit<CachedMaterialized<number>, "value"> = {}): KTable<K, number> {
    return this.addAggregation("KSTREAM-AGGREGATE", materialized, builtIn.int64(), () => 0, (_k, _v, n: number) => n + 1);
  }

  /** Combines the values of a key with `reducer`; the first value of a key is its starting aggregate. */
  reduce(reducer: Reducer<V>, materialized: CachedMaterialized<V> = {}): KTable<K, V> {
    const valueSerde = materialized.value ?? this.valueSerde;
    if (!valueSerde) throw new TopologyError("reduce() needs { value: serde }: the stream's value serde is not known here");
    return this.addAggregation("KSTREAM-REDUCE", materialized, valueSerde, undefined, (_k, v: V, agg: V) => reducer(agg, v));
  }

  /** Folds the values of a key into an aggregate that starts as `initializer()`. */
  aggregate<A>(initializer: Initializer<A>, aggregator: Aggregator<K, V, A>, materialized: CachedMaterialized<A> & { readonly value: Serde<A> }): KTable<K, A> {
    return this.addAggregation("KSTREAM-AGGREGATE", materialized, materialized.value, initializer, aggregator);
  }

  /**
   * Aggregates per window: TimeWindows (tumbling, hopping) and SlidingWindows give a TimeWindowedKStream,
   * SessionWindows a SessionWindowedKStream. `lateRecords` sends records later than their window's close
   * to a topic (they are always counted in `weir_late_records_dropped_total`).
   */
  windowedBy(windows: TimeWindows | SlidingWindows, options?: WindowedOptions): TimeWindowedKStream<K, V>;
  windowedBy(windows: SessionWindows, options?: WindowedOptions): SessionWindowedKStream<K, V>;
  windowedBy(windows: TimeWindows | SlidingWindows | SessionWindows, options: WindowedOptions = {}): TimeWindowedKStream<K, V> | SessionWindowedKStream<K, V> {
    if (windows instanceof SessionWindows) return new SessionWindowedKStream(this.graph, this.parent, this.keySerde, this.valueSerde, windows, options);
    return new TimeWindowedKStream(this.graph, this.parent, this.keySerde, this.valueSerde, windows, options);
  }

  /**
   * Starts a cogroup (KIP-150): this stream's records fold into one aggregate per key with `aggregator`;
   * add other grouped streams with `.cogroup(other, theirAggregator)`, then `.aggregate(initializer, …)`
   * (or `.windowedBy(…)` first). All inputs share one store, so they must be co-partitioned.
   */
  cogroup<A>(aggregator: Aggregator<K, V, A>): CogroupedKStream<K, A> {
    return new CogroupedKStream<K, A>([{ ...this.cogroupInput(), aggregator: aggregator as Aggregator<K, never, unknown> }]);
  }

  /** @internal What a cogroup needs of this grouped stream. */
  cogroupInput(): Omit<CogroupInput<K>, "aggregator"> {
    return { graph: this.graph, parent: this.parent, keySerde: this.keySerde };
  }

  private addAggregation<A>(
    prefix: string,
    materialized: Omit<CachedMaterialized<unknown>, "value">,
    valueSerde: Serde<A>,
    initializer: Initializer<A> | undefined,
    aggregator: Aggregator<K, V, A>,
  ): KTable<K, A> {
    const name = this.graph.nextName(prefix);
    const store = materialized.store ?? `${name}-STATE-STORE`;
    // Timestamped: each aggregate keeps the largest timestamp of its records (StreamAggregateProcessor).
    const cached = materialized.caching !== false;
    this.graph.addStore({ name: store, kind: "keyValue", keySerde: this.keySerde, valueSerde, timestamped: true, cached });
    this.graph.add({
      kind: "processor",
      name,
      supplier: () => new StreamAggregateProcessor(store, initializer, aggregator),
      parents: [this.parent],
      children: [],
      stores: [store],
    });
    return new KTable<K, A>(this.graph, name, { key: this.keySerde, value: valueSerde }, store);
  }
}
