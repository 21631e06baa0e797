// KTable: a changelog stream read as a table, the latest value per key; a null value deletes the key.
import { PassThroughProcessor, TableFilterProcessor, TableMapValuesProcessor } from "../processor/aggregate.ts";
import type { ProcessorSupplier } from "../processor/processor.ts";
import type { TopologyGraph } from "./graph.ts";
import { KStream, type KnownSerdes, type Named } from "./kstream.ts";
import { addTableTableJoin, type JoinMaterialized, type TableSide } from "./joins.ts";
import type { TableJoinKind } from "../processor/join-table-table.ts";

export class KTable<K, V> {
  private readonly graph: TopologyGraph;
  private readonly nodeName: string;
  private readonly serdes: KnownSerdes<K, V>;
  /** The store holding this table, when it is materialized (aggregations are); query it by this name. */
  readonly queryableStoreName: string | undefined;

  /** @internal Built by aggregations and other table operators. */
  constructor(graph: TopologyGraph, nodeName: string, serdes: KnownSerdes<K, V>, storeName?: string) {
    this.graph = graph;
    this.nodeName = nodeName;
    this.serdes = serdes;
    this.queryableStoreName = storeName;
  }

  /** Every update of the table as a stream record; a deletion arrives as a null value. */
  toStream(options?: Named): KStream<K, V> {
    const name = this.addProcessor("KTABLE-TOSTREAM", () => new PassThroughProcessor<K, V>(), options);
    return new KStream<K, V>(this.graph, name, this.serdes);
  }

  /** A table of transformed values; deletions stay deletions. */
  mapValues<VOut>(mapper: (value: V, key: K) => VOut, options?: Named): KTable<K, VOut> {
    const name = this.addProcessor("KTABLE-MAPVALUES", () => new TableMapValuesProcessor<K, V, VOut>(mapper), options);
    return new KTable<K, VOut>(this.graph, name, { key: this.serdes.key });
  }

  /** A table of the rows that match; a row that stops matching is deleted downstream. */
  filter(predicate: (key: K, value: V) => boolean, options?: Named): KTable<K, V> {
    const name = this.addProcessor("KTABLE-FILTER", () => new TableFilterProcessor<K, V>(predicate, true), options);
    return new KTable<K, V>(this.graph, name, this.serdes);
  }

  /** A table of the rows that do not match. */
  filterNot(predicate: (key: K, value: V) => boolean, options?: Named): KTable<K, V> {
    const name = this.addProcessor("KTABLE-FILTER", () => new TableFilterProcessor<K, V>(predicate, false), options);
    return new KTable<K, V>(this.graph, name, this.serdes);
  }

  /**
   * Inner join with `other` (same key, co-partitioned): a key has a row while both tables have one. An update
   * on either side recomputes the key's row; a key that stops matching gets a tombstone. Both tables need a
   * store; pass `{ store, value }` to materialize the result.
   */
  join<VO, VR>(other: KTable<K, VO>, joiner: (value: V, other: VO) => VR, materialized: JoinMaterialized<VR> = {}): KTable<K, VR> {
    return this.tableJoin(other, "inner", joiner as (l: V | null, r: VO | null) => VR, materialized);
  }

  /** Left join: a key has a row while this table has one; `other`'s value is null when it has none. */
  leftJoin<VO, VR>(other: KTable<K, VO>, joiner: (value: V, other: VO | null) => VR, materialized: JoinMaterialized<VR> = {}): KTable<K, VR> {
    return this.tableJoin(other, "left", joiner as (l: V | null, r: VO | null) => VR, materialized);
  }

  /** Outer join: a key has a row while either table has one; the absent side's value is null. */
  outerJoin<VO, VR>(other: KTable<K, VO>, joiner: (value: V | null, other: VO | null) => VR, materialized: JoinMaterialized<VR> = {}): KTable<K, VR> {
    return this.tableJoin(other, "outer", joiner, materialized);
  }

  /** @internal What a join needs of this table. */
  joinSide(): TableSide {
    return { graph: this.graph, nodeName: this.nodeName, store: this.queryableStoreName, keySerde: this.serdes.key };
  }

  private tableJoin<VO, VR>(other: KTable<K, VO>, kind: TableJoinKind, joiner: (l: V | null, r: VO | null) => VR, materialized: JoinMaterialized<VR>): KTable<K, VR> {
    const joined = addTableTableJoin(this.joinSide(), other.joinSide(), kind, joiner as (l: unknown, r: unknown) => unknown, materialized);
    return new KTable<K, VR>(this.graph, joined.node, { key: this.serdes.key, value: materialized.value }, joined.store);
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
