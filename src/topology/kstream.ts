// KStream: an unbounded stream of records; each operator adds a node to the topology graph.
import { FilterProcessor, MapProcessor, MapValuesProcessor, PeekProcessor } from "../processor/stateless.ts";
import { AsyncMapValuesProcessor } from "../processor/async-map-values.ts";
import type { ProcessorSupplier } from "../processor/processor.ts";
import type { Serde } from "../serdes/serde.ts";
import { timerStoreSerdes } from "../state/timer-store.ts";
import type { StoreDefinition, TopologyGraph } from "./graph.ts";
import { KGroupedStream, type Grouped } from "./kgrouped-stream.ts";
import { TopologyError } from "./graph.ts";
import { GlobalKTable } from "./global-ktable.ts";
import { addStreamGlobalJoin, addStreamTableJoin } from "./joins.ts";
import { JoinWindows } from "./join-windows.ts";
import { addStreamStreamJoin, type StreamJoined, type StreamSide } from "./stream-joins.ts";
import type { StreamJoinKind } from "../processor/join-stream-stream.ts";
import type { KTable } from "./ktable.ts";

/** Options of an operator: `name` replaces the generated processor name. */
export interface Named {
  readonly name?: string;
}

export interface Produced<K, V> extends Named {
  readonly key: Serde<K>;
  readonly value: Serde<V>;
}

/** Options of `process()`. */
export interface ProcessOptions<K> extends Named {
  /** Stores the processor uses: names or references from `builder.addStateStore`. */
  readonly stores?: readonly (string | { readonly name: string })[];
  /** The serde of the input keys, for timers; needed only when an operator before changed the key. */
  readonly key?: Serde<K>;
}

/** Options of `mapValuesAsync()`. */
export interface AsyncOptions extends Named {
  /** Calls in flight per task at most; the task takes no more records until one settles. */
  readonly concurrency: number;
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

  /**
   * Transforms each value with an async function (a lookup, a model) with at most `concurrency` calls in
   * flight per task; results go downstream in input order. A task commits only once its calls have settled.
   */
  mapValuesAsync<VOut>(mapper: (value: V, key: K) => Promise<VOut>, options: AsyncOptions): KStream<K, VOut> {
    const { concurrency } = options;
    if (!Number.isSafeInteger(concurrency) || concurrency < 1) throw new TopologyError(`mapValuesAsync needs { concurrency } ≥ 1, got ${concurrency}`);
    return this.addProcessor("KSTREAM-MAPVALUES-ASYNC", () => new AsyncMapValuesProcessor(mapper, concurrency), options, { key: this.serdes.key });
  }

  /**
   * Runs a user processor (the Processor API) with access to the `stores` it declares. A processor with an
   * `onTimer` method also gets per-key timers, kept in the store `<name>-timers` (changelog
   * `<applicationId>-<name>-timers-changelog`); one without gets no timer store and no topic.
   */
  process<KOut, VOut>(supplier: ProcessorSupplier<K, V, KOut, VOut>, options: ProcessOptions<K> = {}): KStream<KOut, VOut> {
    const name = options.name ?? this.graph.nextName("KSTREAM-PROCESSOR");
    const stores = (options.stores ?? []).map((s) => (typeof s === "string" ? s : s.name));
    // One processor is made here only to see whether it has onTimer; processors hold no resources before init.
    const usesTimers = typeof supplier().onTimer === "function";
    const timerStore = `${name}-timers`;
    if (usesTimers) this.graph.addStore({ kind: "keyValue", name: timerStore, ...timerStoreSerdes });
    this.graph.add({
      kind: "processor",
      name,
      supplier: supplier,
      parents: [this.nodeName],
      children: [],
      stores: usesTimers ? [...stores, timerStore] : stores,
      ...(usesTimers ? { timers: { store: timerStore, keySerde: (options.key ?? this.serdes.key) as Serde<unknown> | undefined } } : {}),
    });
    return new KStream<KOut, VOut>(this.graph, name);
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

  /**
   * Stream–table inner join: each record is joined with the table's current value for its key, looked up when
   * the record is processed; a record with no match is dropped, and table updates never emit. The stream and
   * the table must be co-partitioned (checked at start).
   */
  join<VT, VR>(table: KTable<K, VT>, joiner: (value: V, tableValue: VT) => VR, options?: Named): KStream<K, VR>;
  /**
   * Stream–global-table inner join: each record looks up the global table by `keySelector(key, value)`.
   * No co-partitioning needed: every instance holds the whole global table.
   */
  join<KG, VG, VR>(global: GlobalKTable<KG, VG>, keySelector: (key: K, value: V) => KG, joiner: (value: V, globalValue: VG) => VR, options?: Named): KStream<K, VR>;
  /**
   * Stream–stream windowed inner join: records of the same key whose timestamps are within `windows` of each
   * other are joined, whichever arrives first. Both sides are buffered in window stores (co-partitioned).
   */
  join<VO, VR>(other: KStream<K, VO>, joiner: (value: V, otherValue: VO) => VR, windows: JoinWindows, joined?: StreamJoined<K, V, VO>): KStream<K, VR>;
  join(other: KTable<K, unknown> | GlobalKTable<unknown, unknown> | KStream<K, unknown>, a: unknown, b?: unknown, c?: unknown): KStream<K, unknown> {
    if (other instanceof KStream) return this.windowedJoin("inner", other, a, b, c);
    return this.lookupJoin(false, other, a, b, c);
  }

  /** Stream–table left join: a record with no match is joined with null. */
  leftJoin<VT, VR>(table: KTable<K, VT>, joiner: (value: V, tableValue: VT | null) => VR, options?: Named): KStream<K, VR>;
  /** Stream–global-table left join: a record with no match (or a null derived key) is joined with null. */
  leftJoin<KG, VG, VR>(global: GlobalKTable<KG, VG>, keySelector: (key: K, value: V) => KG, joiner: (value: V, globalValue: VG | null) => VR, options?: Named): KStream<K, VR>;
  /**
   * Stream–stream windowed left join: as `join`, and a left record that no right record joined is emitted
   * with null once stream time has closed its window (never before: no spurious null results).
   */
  leftJoin<VO, VR>(other: KStream<K, VO>, joiner: (value: V, otherValue: VO | null) => VR, windows: JoinWindows, joined?: StreamJoined<K, V, VO>): KStream<K, VR>;
  leftJoin(other: KTable<K, unknown> | GlobalKTable<unknown, unknown> | KStream<K, unknown>, a: unknown, b?: unknown, c?: unknown): KStream<K, unknown> {
    if (other instanceof KStream) return this.windowedJoin("left", other, a, b, c);
    return this.lookupJoin(true, other, a, b, c);
  }

  /** Stream–stream windowed outer join: unmatched records of either side are emitted with null once their window closes. */
  outerJoin<VO, VR>(other: KStream<K, VO>, joiner: (value: V | null, otherValue: VO | null) => VR, windows: JoinWindows, joined?: StreamJoined<K, V, VO>): KStream<K, VR> {
    return this.windowedJoin("outer", other, joiner, windows, joined) as KStream<K, VR>;
  }

  /** @internal What a stream–stream join needs of this stream. */
  streamSide(): StreamSide {
    return { graph: this.graph, nodeName: this.nodeName, keySerde: this.serdes.key, valueSerde: this.serdes.value };
  }

  private windowedJoin(kind: StreamJoinKind, other: KStream<K, unknown>, joiner: unknown, windows: unknown, joined: unknown): KStream<K, unknown> {
    if (!(windows instanceof JoinWindows)) throw new TopologyError(`stream.${kind === "inner" ? "join" : `${kind}Join`}(stream) needs JoinWindows, e.g. JoinWindows.ofTimeDifferenceAndGrace("5m", "1m")`);
    const node = addStreamStreamJoin(
      this.streamSide(),
      other.streamSide(),
      kind,
      joiner as (l: unknown, r: unknown) => unknown,
      windows,
      (joined ?? {}),
    );
    return new KStream<K, unknown>(this.graph, node, { key: this.serdes.key });
  }

  private lookupJoin(left: boolean, other: KTable<K, unknown> | GlobalKTable<unknown, unknown>, a: unknown, b: unknown, c: unknown): KStream<K, unknown> {
    type Fn = (x: unknown, y: unknown) => unknown;
    const node =
      other instanceof GlobalKTable
        ? addStreamGlobalJoin(this.graph, this.nodeName, other, a as Fn, left, b as Fn, (c as Named | undefined)?.name)
        : addStreamTableJoin(this.graph, this.nodeName, other.joinSide(), left, a as Fn, (b as Named | undefined)?.name);
    return new KStream<K, unknown>(this.graph, node, { key: this.serdes.key });
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

  /**
   * @internal For operators built outside topology/ (CEP): declares `stores` and adds a processor that
   * uses them, fed by this stream.
   */
  addStatefulProcessor<KOut, VOut>(
    prefix: string,
    supplier: ProcessorSupplier<K, V, KOut, VOut>,
    stores: readonly StoreDefinition[],
    options: Named | undefined,
    serdes: KnownSerdes<KOut, VOut> = {},
  ): KStream<KOut, VOut> {
    for (const store of stores) this.graph.addStore(store);
    return this.addProcessor(prefix, supplier, options, serdes, stores.map((s) => s.name));
  }

  /** @internal The serdes this stream's records are known to have. */
  knownSerdes(): KnownSerdes<K, V> {
    return this.serdes;
  }

  private addProcessor<KOut, VOut>(
    prefix: string,
    supplier: ProcessorSupplier<K, V, KOut, VOut>,
    options: Named | undefined,
    serdes: KnownSerdes<KOut, VOut> = {},
    stores: readonly string[] = [],
  ): KStream<KOut, VOut> {
    const name = options?.name ?? this.graph.nextName(prefix);
    this.graph.add({
      kind: "processor",
      name,
      supplier,
      parents: [this.nodeName],
      children: [],
      stores,
    });
    return new KStream<KOut, VOut>(this.graph, name, serdes);
  }
}
