// KTable.groupBy → KGroupedTable: a table re-grouped by a new key through a repartition topic carrying
// (old, new) changes, and its count / reduce / aggregate with an adder and a subtractor (Kafka Streams'
// KGroupedTable). The processors live in processor/table-regroup.ts.
import { changeSerde, pairSerde } from "../processor/change.ts";
import { TableAggregateProcessor, TableRegroupProcessor, type GroupSelector, type TableAggregation } from "../processor/table-regroup.ts";
import { serdes as builtIn, type Serde } from "../serdes/serde.ts";
import { TopologyError, type TopologyGraph } from "./graph.ts";
import type { CachedMaterialized } from "./kgrouped-stream.ts";
import { KTable } from "./ktable.ts";
import { addRepartition } from "./repartition.ts";

/** How a table is re-grouped: both serdes are needed, the changes go through a repartition topic. */
export interface TableGrouped<K, V> {
  /** Names the repartition topic `<applicationId>-<name>-repartition` and the grouping's store `<name>-prior`. */
  readonly name?: string;
  readonly key: Serde<K>;
  readonly value: Serde<V>;
}

/** @internal KTable.groupBy: the selecting node, its store of prior pairs, and the repartition topic. */
export function groupTable<K, V, GK, GV>(
  graph: TopologyGraph,
  parent: string,
  tableKey: Serde<K> | undefined,
  selector: GroupSelector<K, V, GK, GV>,
  grouped: TableGrouped<GK, GV>,
): KGroupedTable<GK, GV> {
  if (!tableKey) throw new TopologyError(`table.groupBy() after ${parent} needs the table's key serde, to keep each row's grouping in a store`);
  if (!grouped?.key || !grouped.value) throw new TopologyError("table.groupBy() needs { key, value } serdes: the changes go through a repartition topic");
  const select = grouped.name !== undefined ? `${grouped.name}-select` : graph.nextName("KTABLE-SELECT");
  const prior = `${grouped.name ?? select}-prior`;
  graph.addStore({ name: prior, kind: "keyValue", keySerde: tableKey, valueSerde: pairSerde(grouped.key, grouped.value) });
  graph.add({ kind: "processor", name: select, supplier: () => new TableRegroupProcessor(selector, prior), parents: [parent], children: [], stores: [prior] });
  const source = addRepartition(graph, select, {
    name: grouped.name,
    keySerde: grouped.key,
    valueSerde: changeSerde(grouped.value),
    dropNullKeys: false,
  });
  return new KGroupedTable<GK, GV>(graph, source, grouped.key, grouped.value);
}

export class KGroupedTable<K, V> {
  private readonly graph: TopologyGraph;
  private readonly parent: string;
  private readonly keySerde: Serde<K>;
  private readonly valueSerde: Serde<V>;

  /** @internal Built by KTable.groupBy. */
  constructor(graph: TopologyGraph, parent: string, keySerde: Serde<K>, valueSerde: Serde<V>) {
    this.graph = graph;
    this.parent = parent;
    this.keySerde = keySerde;
    this.valueSerde = valueSerde;
  }

  /** The number of rows per group; a row that moves to another group counts there only. A group never holding a row again stays at 0. */
  count(materialized: Omit<CachedMaterialized<number>, "value"> = {}): KTable<K, number> {
    return this.add("KTABLE-AGGREGATE", materialized, builtIn.int64(), {
      initializer: () => 0,
      add: (_k, _v, n) => n + 1,
      subtract: (_k, _v, n) => n - 1,
    });
  }

  /**
   * Combines the values of a group's rows: `adder(aggregate, value)` when a row enters (or changes),
   * `subtractor(aggregate, value)` with its previous value when it leaves (or changes). The first value of a
   * group is its aggregate; a subtractor that returns null deletes the group.
   */
  reduce(adder: (aggregate: V, value: V) => V, subtractor: (aggregate: V, value: V) => V | null, materialized: CachedMaterialized<V> = {}): KTable<K, V> {
    return this.add("KTABLE-REDUCE", materialized, materialized.value ?? this.valueSerde, {
      add: (_k, v, a) => adder(a, v),
      subtract: (_k, v, a) => subtractor(a, v),
    });
  }

  /** Folds the group's rows into an aggregate that starts as `initializer()`: `adder` for a row's new value, `subtractor` for its old one. */
  aggregate<A>(
    initializer: () => A,
    adder: (key: K, value: V, aggregate: A) => A,
    subtractor: (key: K, value: V, aggregate: A) => A,
    materialized: CachedMaterialized<A> & { readonly value: Serde<A> },
  ): KTable<K, A> {
    return this.add("KTABLE-AGGREGATE", materialized, materialized.value, { initializer, add: adder, subtract: subtractor });
  }

  private add<A>(prefix: string, materialized: Omit<CachedMaterialized<unknown>, "value">, valueSerde: Serde<A>, aggregation: TableAggregation<K, V, A>): KTable<K, A> {
    const name = this.graph.nextName(prefix);
    const store = materialized.store ?? `${name}-STATE-STORE`;
    // Timestamped like every aggregation's store: each row keeps its largest timestamp (TableAggregateProcessor).
    const cached = materialized.caching !== false;
    this.graph.addStore({ name: store, kind: "keyValue", keySerde: this.keySerde, valueSerde, timestamped: true, cached });
    this.graph.add({
      kind: "processor",
      name,
      supplier: () => new TableAggregateProcessor(store, aggregation),
      parents: [this.parent],
      children: [],
      stores: [store],
    });
    return new KTable<K, A>(this.graph, name, { key: this.keySerde, value: valueSerde }, store);
  }
}
