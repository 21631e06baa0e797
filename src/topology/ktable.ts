// KTable: a changelog stream read as a table, the latest value per key; a null value deletes the key.
import { PassThroughProcessor, TableFilterProcessor, TableMapValuesProcessor } from "../processor/aggregate.ts";
import type { ProcessorSupplier } from "../processor/processor.ts";
import { SuppressProcessor, type SuppressMode } from "../processor/suppress.ts";
import type { WindowSpec } from "../processor/windowed.ts";
import type { Serde } from "../serdes/serde.ts";
import { TopologyError, type TopologyGraph } from "./graph.ts";
import { KStream, type KnownSerdes, type Named } from "./kstream.ts";
import { addTableTableJoin, type JoinMaterialized, type TableSide } from "./joins.ts";
import type { TableJoinKind } from "../processor/join-table-table.ts";
import { describeSuppressed, Suppressed } from "./suppressed.ts";
import { filterGetter, mapValuesGetter, storeGetter, type TableValueGetterSupplier } from "../processor/table-value-getter.ts";
import { groupTable, type KGroupedTable, type TableGrouped } from "./kgrouped-table.ts";
import type { GroupSelector } from "../processor/table-regroup.ts";
import { addForeignKeyJoin, type ForeignKeyJoined, type ForeignKeyTableSide } from "./foreign-key-joins.ts";
import type { ForeignKeyJoinKind } from "../processor/foreign-key-join.ts";

export { Suppressed } from "./suppressed.ts";

export interface SuppressOptions<V> extends Named {
  /** The buffer's store name (it also names the changelog). */
  readonly store?: string;
  readonly value?: Serde<V>;
}

export class KTable<K, V> {
  private readonly graph: TopologyGraph;
  private readonly nodeName: string;
  private readonly serdes: KnownSerdes<K, V>;
  /** The store holding this table, when it is materialized (aggregations are); query it by this name. */
  readonly queryableStoreName: string | undefined;
  /** The windows of a windowed table (keys are Windowed<K>), which `suppress(untilWindowCloses)` needs. */
  private readonly windowSpec: WindowSpec | undefined;
  /** How a join reads this table's rows (Kafka Streams' valueGetterSupplier); undefined when it cannot. */
  private readonly getter: TableValueGetterSupplier<K, V> | undefined;
  /**
   * Kafka Streams' enableSendingOldValues, called by an operator downstream that reads the rows' old values
   * (a left or outer table–table join, a foreign-key join, groupBy, suppress): the filters from here up to the
   * table's source then drop an update whose old and new values are both null (filtered out), as there.
   */
  private readonly sendOldValues: () => void;

  /**
   * @internal Built by aggregations and other table operators. A table with a store is read from it (a
   * store declared `timestamped` with its rows' timestamps); a derived table passes the getter of its rows.
   */
  constructor(graph: TopologyGraph, nodeName: string, serdes: KnownSerdes<K, V>, storeName?: string, windowSpec?: WindowSpec, getter?: TableValueGetterSupplier<K, V>, sendOldValues: () => void = () => {}) {
    this.graph = graph;
    this.sendOldValues = sendOldValues;
    this.nodeName = nodeName;
    this.serdes = serdes;
    this.queryableStoreName = storeName;
    this.windowSpec = windowSpec;
    this.getter = getter ?? (storeName === undefined ? undefined : storeGetter<K, V>(storeName, graph.storeDefinitions().get(storeName)?.timestamped ?? false));
  }

  /**
   * Holds updates back in a buffer with a changelog: `Suppressed.untilWindowCloses()` emits exactly one
   * final result per window of a windowed table, once stream time passes the window's end + grace;
   * `Suppressed.untilTimeLimit(ms)` emits a key's latest value `ms` after its first held-back update.
   * Either takes a `Suppressed.BufferConfig` that bounds the buffer (untilWindowCloses: a strict one).
   */
  suppress(suppressed: Suppressed, options: SuppressOptions<V> = {}): KTable<K, V> {
    const key = this.serdes.key;
    const value = options.value ?? this.serdes.value;
    if (!key || !value) throw new TopologyError("suppress() needs the table's key and value serdes: pass { value } when an operator changed the value");
    let mode: SuppressMode;
    if ("untilWindowCloses" in suppressed) {
      if (!suppressed.buffer.isStrict()) throw new TopologyError(`suppress(Suppressed.untilWindowCloses()) needs a strict buffer config, got ${suppressed.buffer.toString()}`);
      if (!this.windowSpec) throw new TopologyError("suppress(Suppressed.untilWindowCloses()) needs a windowed table: use it after windowedBy(...).count/reduce/aggregate");
      mode = { kind: "untilWindowCloses", windows: this.windowSpec };
    } else {
      mode = { kind: "untilTimeLimit", timeLimitMs: suppressed.untilTimeLimitMs };
    }
    this.sendOldValues();
    const name = options.name ?? this.graph.nextName("KTABLE-SUPPRESS");
    const store = options.store ?? `${name}-STATE-STORE`;
    this.graph.addStore({ name: store, kind: "timeOrderedBuffer", keySerde: key, valueSerde: value });
    this.graph.add({
      kind: "processor",
      name,
      supplier: (() => new SuppressProcessor<K, V>(name, store, mode, suppressed.buffer)),
      parents: [this.nodeName],
      children: [],
      stores: [store],
      settings: describeSuppressed(suppressed),
    });
    return new KTable<K, V>(this.graph, name, this.serdes, undefined, this.windowSpec);
  }

  /** Every update of the table as a stream record; a deletion arrives as a null value. */
  toStream(options?: Named): KStream<K, V> {
    const name = this.addProcessor("KTABLE-TOSTREAM", () => new PassThroughProcessor<K, V>(), options);
    return new KStream<K, V>(this.graph, name, this.serdes);
  }

  /** A table of transformed values; deletions stay deletions. */
  mapValues<VOut>(mapper: (value: V, key: K) => VOut, options?: Named): KTable<K, VOut> {
    const name = this.addProcessor("KTABLE-MAPVALUES", () => new TableMapValuesProcessor<K, V, VOut>(mapper), options);
    return new KTable<K, VOut>(this.graph, name, { key: this.serdes.key }, undefined, this.windowSpec, this.getter && mapValuesGetter(this.getter, mapper), this.sendOldValues);
  }

  /** A table of the rows that match; a row that stops matching is deleted downstream. */
  filter(predicate: (key: K, value: V) => boolean, options?: Named): KTable<K, V> {
    return this.filtered(predicate, true, options);
  }

  /** A table of the rows that do not match. */
  filterNot(predicate: (key: K, value: V) => boolean, options?: Named): KTable<K, V> {
    return this.filtered(predicate, false, options);
  }

  private filtered(predicate: (key: K, value: V) => boolean, keepWhen: boolean, options: Named | undefined): KTable<K, V> {
    const oldValues = { sent: false };
    const name = this.addProcessor("KTABLE-FILTER", () => new TableFilterProcessor<K, V>(predicate, keepWhen, oldValues), options);
    const parent = this.sendOldValues;
    const sendOldValues = () => {
      oldValues.sent = true;
      parent();
    };
    return new KTable<K, V>(this.graph, name, this.serdes, undefined, this.windowSpec, this.getter && filterGetter(this.getter, predicate, keepWhen), sendOldValues);
  }

  /**
   * Inner join with `other` (same key, co-partitioned): a key has a row while both tables have one. An update
   * on either side recomputes the key's row; a key that stops matching gets a tombstone. Both tables need a
   * store; pass `{ store, value }` to materialize the result.
   */
  join<VO, VR>(other: KTable<K, VO>, joiner: (value: V, other: VO) => VR, materialized?: JoinMaterialized<VR>): KTable<K, VR>;
  /**
   * Foreign-key inner join (KIP-213): each row joins the row of `other` whose key `foreignKey(value, key)`
   * names; keyed by this table's key. Kept right under updates and deletes on either side and when a row's
   * foreign key changes, through two internal topics (`<name>-subscription`, `<name>-response`). Both tables
   * need a store and known serdes.
   */
  join<KO, VO, VR>(other: KTable<KO, VO>, foreignKey: (value: V, key: K) => KO | null, joiner: (value: V, other: VO) => VR, joined?: ForeignKeyJoined<KO, VR>): KTable<K, VR>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the overloads type it; KTable is invariant in its key
  join(other: KTable<any, unknown>, a: unknown, b?: unknown, c?: unknown): KTable<K, unknown> {
    if (typeof b === "function") return this.foreignKeyJoin(other, "inner", a, b, c);
    return this.tableJoin(other as KTable<K, unknown>, "inner", a as (l: V | null, r: unknown) => unknown, (b ?? {}));
  }

  /** Left join: a key has a row while this table has one; `other`'s value is null when it has none. */
  leftJoin<VO, VR>(other: KTable<K, VO>, joiner: (value: V, other: VO | null) => VR, materialized?: JoinMaterialized<VR>): KTable<K, VR>;
  /** Foreign-key left join: every row has a result; `other`'s value is null when its foreign key (or the row it names) is absent. */
  leftJoin<KO, VO, VR>(other: KTable<KO, VO>, foreignKey: (value: V, key: K) => KO | null, joiner: (value: V, other: VO | null) => VR, joined?: ForeignKeyJoined<KO, VR>): KTable<K, VR>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the overloads type it; KTable is invariant in its key
  leftJoin(other: KTable<any, unknown>, a: unknown, b?: unknown, c?: unknown): KTable<K, unknown> {
    if (typeof b === "function") return this.foreignKeyJoin(other, "left", a, b, c);
    return this.tableJoin(other as KTable<K, unknown>, "left", a as (l: V | null, r: unknown) => unknown, (b ?? {}));
  }

  /** Outer join: a key has a row while either table has one; the absent side's value is null. */
  outerJoin<VO, VR>(other: KTable<K, VO>, joiner: (value: V | null, other: VO | null) => VR, materialized: JoinMaterialized<VR> = {}): KTable<K, VR> {
    return this.tableJoin(other, "outer", joiner, materialized);
  }

  /**
   * Re-groups the table by a new key: `selector(key, value)` gives each row's grouping key and the value it
   * brings. Changes go through the repartition topic `<applicationId>-<name>-repartition`; an update
   * subtracts the row's previous value from its previous group before adding the new one (KGroupedTable).
   */
  groupBy<GK, GV>(selector: GroupSelector<K, V, GK, GV>, grouped: TableGrouped<GK, GV>): KGroupedTable<GK, GV> {
    if (this.windowSpec) throw new TopologyError("a windowed table cannot be re-grouped with groupBy: map its stream instead");
    this.sendOldValues();
    return groupTable(this.graph, this.nodeName, this.serdes.key, selector, grouped);
  }

  /** @internal What a join needs of this table. */
  joinSide(): TableSide {
    if (this.windowSpec) throw new TopologyError("a windowed table cannot be joined: join a stream to it, or join windowed streams with JoinWindows");
    return { graph: this.graph, nodeName: this.nodeName, store: this.queryableStoreName, keySerde: this.serdes.key, getter: this.getter };
  }

  /** @internal What a foreign-key join needs of this table. */
  foreignKeySide(): ForeignKeyTableSide {
    return { ...this.joinSide(), valueSerde: this.serdes.value };
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- any key: the foreign key's type
  private foreignKeyJoin(other: KTable<any, unknown>, kind: ForeignKeyJoinKind, extractor: unknown, joiner: unknown, joined: unknown): KTable<K, unknown> {
    const options = (joined ?? {}) as ForeignKeyJoined<unknown, unknown>;
    type Fn = (x: unknown, y: unknown) => unknown;
    this.sendOldValues();
    other.sendOldValues();
    const result = addForeignKeyJoin(this.foreignKeySide(), other.foreignKeySide(), kind, extractor as Fn, joiner as Fn, options);
    return new KTable<K, unknown>(this.graph, result.node, { key: this.serdes.key, value: options.value }, result.store);
  }

  private tableJoin<VO, VR>(other: KTable<K, VO>, kind: TableJoinKind, joiner: (l: V | null, r: VO | null) => VR, materialized: JoinMaterialized<VR>): KTable<K, VR> {
    // The outer side(s) read old values (Kafka Streams' KTableImpl.doJoin): the left of a left join, both of an outer.
    if (kind !== "inner") this.sendOldValues();
    if (kind === "outer") other.sendOldValues();
    const joined = addTableTableJoin(this.joinSide(), other.joinSide(), kind, joiner as (l: unknown, r: unknown) => unknown, materialized);
    return new KTable<K, VR>(this.graph, joined.node, { key: this.serdes.key, value: materialized.value }, joined.store, undefined, joined.getter as TableValueGetterSupplier<K, VR>);
  }

  private addProcessor<KIn, VIn, KOut, VOut>(prefix: string, supplier: ProcessorSupplier<KIn, VIn, KOut, VOut>, options: Named | undefined): string {
    const name = options?.name ?? this.graph.nextName(prefix);
    this.graph.add({
      kind: "processor",
      name,
      supplier: supplier,
      parents: [this.nodeName],
      children: [],
      stores: [],
    });
    return name;
  }
}
