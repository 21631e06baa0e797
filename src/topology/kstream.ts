// KStream: an unbounded stream of records; each operator adds a node to the topology graph.
import {
  FilterProcessor,
  FlatMapProcessor,
  FlatMapValuesProcessor,
  ForeachProcessor,
  MapProcessor,
  MapValuesProcessor,
  PassThroughStreamProcessor,
  PeekProcessor,
} from "../processor/stateless.ts";
import { AsyncMapValuesProcessor } from "../processor/async-map-values.ts";
import type { ProcessorSupplier } from "../processor/processor.ts";
import type { Serde } from "../serdes/serde.ts";
import { timerStoreSerdes } from "../state/timer-store.ts";
import { BranchedKStream } from "./branched-kstream.ts";
import { TopologyError, type ErrorHandler, type StoreDefinition, type TopicChooser, type TopologyGraph } from "./graph.ts";
import { KGroupedStream, type Grouped } from "./kgrouped-stream.ts";
import { GlobalKTable } from "./global-ktable.ts";
import { addStreamGlobalJoin, addStreamTableJoin, type StreamTableJoined } from "./joins.ts";
import { JoinWindows } from "./join-windows.ts";
import { addStreamStreamJoin, type StreamJoined, type StreamSide } from "./stream-joins.ts";
import type { StreamJoinKind } from "../processor/join-stream-stream.ts";
import type { KTable } from "./ktable.ts";
import { addRepartition } from "./repartition.ts";
import { addStreamToTable, type ToTableOptions } from "./tables.ts";

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

/** KStream.repartition(): the topic is `<applicationId>-<name>-repartition`, created by Weir at start. */
export interface Repartitioned<K, V> extends Named {
  /** Default: the partition count of the topics the writing sub-topology reads. */
  readonly partitions?: number;
  /** Needed when an operator before changed the key or value type (the stream's serdes are unknown there). */
  readonly key?: Serde<K>;
  readonly value?: Serde<V>;
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
  /** An operator may have changed the key: grouping must first send the records through a repartition topic. */
  private readonly keyChanged: boolean;

  /** @internal Built by StreamsBuilder and by other operators, never by users. */
  constructor(graph: TopologyGraph, nodeName: string, serdes: KnownSerdes<K, V> = {}, keyChanged = false) {
    this.graph = graph;
    this.nodeName = nodeName;
    this.serdes = serdes;
    this.keyChanged = keyChanged;
  }

  /** Transforms each value; the key and timestamp stay. */
  mapValues<VOut>(mapper: (value: V, key: K) => VOut, options?: Named): KStream<K, VOut> {
    return this.addProcessor("KSTREAM-MAPVALUES", () => new MapValuesProcessor(mapper), options, { key: this.serdes.key }, this.keyChanged);
  }

  /** Transforms each record into a new key and value. */
  map<KOut, VOut>(mapper: (key: K, value: V) => readonly [KOut, VOut], options?: Named): KStream<KOut, VOut> {
    return this.addProcessor("KSTREAM-MAP", () => new MapProcessor(mapper), options, {}, true);
  }

  /** Turns each record into zero or more records with new keys and values. */
  flatMap<KOut, VOut>(mapper: (key: K, value: V) => Iterable<readonly [KOut, VOut]>, options?: Named): KStream<KOut, VOut> {
    return this.addProcessor("KSTREAM-FLATMAP", () => new FlatMapProcessor(mapper), options, {}, true);
  }

  /** Turns each value into zero or more values under the same key. */
  flatMapValues<VOut>(mapper: (value: V, key: K) => Iterable<VOut>, options?: Named): KStream<K, VOut> {
    return this.addProcessor("KSTREAM-FLATMAPVALUES", () => new FlatMapValuesProcessor(mapper), options, { key: this.serdes.key }, this.keyChanged);
  }

  /** Gives each record a new key computed from it; the value stays. */
  selectKey<KOut>(selector: (key: K, value: V) => KOut, options?: Named): KStream<KOut, V> {
    return this.addProcessor("KSTREAM-KEY-SELECT", () => new MapProcessor((k: K, v: V) => [selector(k, v), v] as const), options, { value: this.serdes.value }, true);
  }

  /** Keeps the records for which `predicate` is true; a type guard narrows the value type. */
  filter<VOut extends V>(predicate: (key: K, value: V) => value is VOut, options?: Named): KStream<K, VOut>;
  filter(predicate: (key: K, value: V) => boolean, options?: Named): KStream<K, V>;
  filter(predicate: (key: K, value: V) => boolean, options?: Named): KStream<K, V> {
    return this.addProcessor("KSTREAM-FILTER", () => new FilterProcessor(predicate, true), options, this.serdes, this.keyChanged);
  }

  /** Keeps the records for which `predicate` is false. */
  filterNot(predicate: (key: K, value: V) => boolean, options?: Named): KStream<K, V> {
    return this.addProcessor("KSTREAM-FILTER", () => new FilterProcessor(predicate, false), options, this.serdes, this.keyChanged);
  }

  /** Calls `action` for each record and passes the record on unchanged. */
  peek(action: (key: K, value: V) => void, options?: Named): KStream<K, V> {
    return this.addProcessor("KSTREAM-PEEK", () => new PeekProcessor(action), options, this.serdes, this.keyChanged);
  }

  /** Calls `action` for each record; a terminal operation (nothing follows it). */
  foreach(action: (key: K, value: V) => void, options?: Named): void {
    this.addProcessor("KSTREAM-FOREACH", () => new ForeachProcessor(action), options);
  }

  /**
   * Transforms each value with an async function (a lookup, a model) with at most `concurrency` calls in
   * flight per task; results go downstream in input order. A task commits only once its calls have settled.
   */
  mapValuesAsync<VOut>(mapper: (value: V, key: K) => Promise<VOut>, options: AsyncOptions): KStream<K, VOut> {
    const { concurrency } = options;
    if (!Number.isSafeInteger(concurrency) || concurrency < 1) throw new TopologyError(`mapValuesAsync needs { concurrency } ≥ 1, got ${concurrency}`);
    return this.addProcessor("KSTREAM-MAPVALUES-ASYNC", () => new AsyncMapValuesProcessor(mapper, concurrency), options, { key: this.serdes.key }, this.keyChanged);
  }

  /**
   * Runs a user processor (the Processor API) with access to the `stores` it declares. A processor with an
   * `onTimer` method also gets per-key timers, kept in the store `<name>-timers` (changelog
   * `<applicationId>-<name>-timers-changelog`); one without gets no timer store and no topic. It may change
   * the key, so a grouping after it repartitions.
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
    return new KStream<KOut, VOut>(this.graph, name, {}, true);
  }

  /**
   * Splits the stream into branches: each record goes to the first branch whose predicate holds, else to
   * the default branch, else nowhere. `name` prefixes the names of the branches in the result.
   */
  split<P extends string = "">(named?: { readonly name?: P }): BranchedKStream<K, V, P> {
    const name = named?.name ?? this.graph.nextName("KSTREAM-BRANCH");
    return new BranchedKStream<K, V, P>(this.graph, this.nodeName, name, (named?.name ?? "") as P, (node) => new KStream<K, V>(this.graph, node, this.serdes, this.keyChanged));
  }

  /** One stream of the records of both; a serde stays known when both streams have the same one. */
  merge<VOther extends V>(other: KStream<K, VOther>, options?: Named): KStream<K, V> {
    const name = options?.name ?? this.graph.nextName("KSTREAM-MERGE");
    this.graph.add({
      kind: "processor",
      name,
      supplier: () => new PassThroughStreamProcessor<K, V>(),
      parents: [this.nodeName, other.nodeName],
      children: [],
      stores: [],
    });
    const serdes: KnownSerdes<K, V> = {
      key: this.serdes.key === other.serdes.key ? this.serdes.key : undefined,
      value: (this.serdes.value as unknown) === other.serdes.value ? this.serdes.value : undefined,
    };
    return new KStream<K, V>(this.graph, name, serdes, this.keyChanged || other.keyChanged);
  }

  /**
   * Sends the records through the topic `<applicationId>-<name>-repartition` (Weir creates it), partitioned
   * by the current key; what follows runs in a new sub-topology, on the task owning each key's partition.
   */
  repartition(repartitioned: Repartitioned<K, V> = {}): KStream<K, V> {
    const serdes = { key: repartitioned.key ?? this.serdes.key, value: repartitioned.value ?? this.serdes.value };
    const source = this.repartitionTo(repartitioned.name, repartitioned.partitions, serdes, false, "repartition()");
    return new KStream<K, V>(this.graph, source, serdes, false);
  }

  /**
   * Groups the records by their current key, for an aggregation. When an operator before changed the key
   * (map, selectKey, flatMap, process), the records first go through a repartition topic
   * (`<applicationId>-<name>-repartition`; name it with `{ name }`), which needs both serdes.
   */
  groupByKey(grouped: Grouped<K, V> = {}): KGroupedStream<K, V> {
    const key = grouped.key ?? this.serdes.key;
    if (!key) {
      throw new TopologyError(`groupByKey() after ${this.nodeName} needs { key: serde }: an operator there changed the key`);
    }
    const value = grouped.value ?? this.serdes.value;
    if (!this.keyChanged) return new KGroupedStream<K, V>(this.graph, this.nodeName, key, value);
    const source = this.repartitionTo(grouped.name, undefined, { key, value }, true, "grouping by a new key");
    return new KGroupedStream<K, V>(this.graph, source, key, value);
  }

  /**
   * Stream–table inner join: each record is joined with the table's current value for its key, looked up when
   * the record is processed; a record with no match is dropped, and table updates never emit. The stream and
   * the table must be co-partitioned (checked at start).
   */
  join<VT, VR>(table: KTable<K, VT>, joiner: (value: V, tableValue: VT) => VR, options?: StreamTableJoined<K, V>): KStream<K, VR>;
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
  leftJoin<VT, VR>(table: KTable<K, VT>, joiner: (value: V, tableValue: VT | null) => VR, options?: StreamTableJoined<K, V>): KStream<K, VR>;
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
    return this.windowedJoin("outer", other as unknown as KStream<K, unknown>, joiner, windows, joined) as KStream<K, VR>;
  }

  /** @internal What a stream–stream join needs of this stream (repartitioned first when an operator changed the key). */
  streamSide(serdes: KnownSerdes<K, V> = {}): StreamSide {
    const known = { key: serdes.key ?? this.serdes.key, value: serdes.value ?? this.serdes.value };
    return { graph: this.graph, nodeName: this.joinInput(known), keySerde: known.key, valueSerde: known.value };
  }

  /**
   * The node a join reads this stream from: after a key change the records first go through a repartition
   * topic, as Kafka Streams does, so that they reach the partition (task) holding their new key.
   */
  private joinInput(serdes: KnownSerdes<K, V> = this.serdes): string {
    if (!this.keyChanged) return this.nodeName;
    return this.repartitionTo(undefined, undefined, serdes, true, "a join on a new key");
  }

  private windowedJoin(kind: StreamJoinKind, other: KStream<K, unknown>, joiner: unknown, windows: unknown, joined: unknown): KStream<K, unknown> {
    if (!(windows instanceof JoinWindows)) throw new TopologyError(`stream.${kind === "inner" ? "join" : `${kind}Join`}(stream) needs JoinWindows, e.g. JoinWindows.ofTimeDifferenceAndGrace("5m", "1m")`);
    const options = (joined ?? {}) as StreamJoined<K, V, unknown>;
    const node = addStreamStreamJoin(
      this.streamSide({ key: options.key, value: options.value }),
      other.streamSide({ key: options.key, value: options.otherValue }),
      kind,
      joiner as (l: unknown, r: unknown) => unknown,
      windows,
      options,
    );
    return new KStream<K, unknown>(this.graph, node, { key: this.serdes.key });
  }

  private lookupJoin(left: boolean, other: KTable<K, unknown> | GlobalKTable<unknown, unknown>, a: unknown, b: unknown, c: unknown): KStream<K, unknown> {
    type Fn = (x: unknown, y: unknown) => unknown;
    const node =
      other instanceof GlobalKTable
        ? addStreamGlobalJoin(this.graph, this.nodeName, other, a as Fn, left, b as Fn, (c as Named | undefined)?.name)
        : this.tableJoin(left, other, a as Fn, (b ?? {}));
    return new KStream<K, unknown>(this.graph, node, { key: this.serdes.key });
  }

  private tableJoin(left: boolean, table: KTable<K, unknown>, joiner: (x: unknown, y: unknown) => unknown, joined: StreamTableJoined<K, V>): string {
    const key = (joined.key ?? this.serdes.key) as Serde<unknown> | undefined;
    const value = (joined.value ?? this.serdes.value) as Serde<unknown> | undefined;
    return addStreamTableJoin(this.graph, this.joinInput(), table.joinSide(), left, joiner, { ...(joined as StreamTableJoined<unknown, unknown>), key, value });
  }

  /** Groups the records by a new key computed from each: a key selection, then groupByKey (with a repartition). */
  groupBy<KOut>(selector: (key: K, value: V) => KOut, grouped: Grouped<KOut, V> & { readonly key: Serde<KOut> }): KGroupedStream<KOut, V> {
    return this.selectKey(selector).groupByKey(grouped);
  }

  /**
   * The stream read as a table (Kafka Streams' KStream.toTable): each record upserts its key, a null value
   * deletes it, a null key is dropped. The rows live in the store `{ store }` with a changelog, so the table
   * can be joined and queried. After a key change the records first go through a repartition topic
   * (`<applicationId>-<name>-repartition`), which needs both serdes.
   */
  toTable(options: ToTableOptions<K, V> = {}): KTable<K, V> {
    const key = options.key ?? this.serdes.key;
    const value = options.value ?? this.serdes.value;
    if (!key || !value) {
      const missing = [!key && "key", !value && "value"].filter(Boolean).join(" and ");
      throw new TopologyError(`toTable() after ${this.nodeName} needs { ${missing}: serde } for its store: an operator there changed the type`);
    }
    const parent = this.keyChanged ? this.repartitionTo(options.name, undefined, { key, value }, true, "toTable() after a key change") : this.nodeName;
    return addStreamToTable(this.graph, parent, { ...options, key, value });
  }

  /** Writes the stream to `topic`, or to the topic `topic(key, value, record)` picks per record; topics must exist. */
  to(topic: string | TopicChooser<K, V>, produced: Produced<K, V>): void {
    if (typeof topic === "string" && topic.length === 0) throw new TopologyError("to() needs a non-empty topic name");
    // Caught at run time too, for JavaScript modules and `as any`: without serdes no record could be written.
    if (!produced?.key || !produced?.value) {
      const missing = [!produced?.key && "key", !produced?.value && "value"].filter(Boolean).join(", ");
      const name = typeof topic === "string" ? `"${topic}"` : "a topic chooser";
      throw new TopologyError(`to(${name}) after ${this.nodeName} needs the { ${missing} } serdes, e.g. .to(${name}, { key: serdes.string(), value: serdes.json() })`);
    }
    this.graph.add({
      kind: "sink",
      name: produced.name ?? this.graph.nextName("KSTREAM-SINK"),
      topic: topic as string | TopicChooser<unknown, unknown>,
      keySerde: produced.key,
      valueSerde: produced.value,
      parents: [this.nodeName],
      ...(produced.productionErrorHandler ? { productionErrorHandler: produced.productionErrorHandler } : {}),
    });
  }

  private repartitionTo(name: string | undefined, partitions: number | undefined, serdes: KnownSerdes<K, V>, dropNullKeys: boolean, why: string): string {
    if (!serdes.key || !serdes.value) {
      const missing = [!serdes.key && "key", !serdes.value && "value"].filter(Boolean).join(" and ");
      throw new TopologyError(`${why} after ${this.nodeName} writes a repartition topic and needs { ${missing}: serde }: an operator there changed the type`);
    }
    return addRepartition(this.graph, this.nodeName, {
      name,
      partitions,
      keySerde: serdes.key,
      valueSerde: serdes.value,
      dropNullKeys,
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
    return this.addProcessor(prefix, supplier, options, serdes, false, stores.map((s) => s.name));
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
    keyChanged = false,
    stores: readonly string[] = [],
  ): KStream<KOut, VOut> {
    const name = options?.name ?? this.graph.nextName(prefix);
    this.graph.add({
      kind: "processor",
      name,
      supplier: supplier,
      parents: [this.nodeName],
      children: [],
      stores,
    });
    return new KStream<KOut, VOut>(this.graph, name, serdes, keyChanged);
  }
}
