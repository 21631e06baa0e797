// The DSL side of stream–table, stream–global-table and table–table joins: which nodes and stores a join
// adds to the graph. The join semantics live in processor/join-*.ts.
import { StreamTableJoinProcessor } from "../processor/join-stream-table.ts";
import { TableTableJoinProcessor, type TableJoinKind } from "../processor/join-table-table.ts";
import { PassThroughProcessor } from "../processor/aggregate.ts";
import { TableSourceProcessor } from "../processor/table-source.ts";
import { joinGetter, storeGetter, type TableValueGetterSupplier } from "../processor/table-value-getter.ts";
import { serdes, type Serde } from "../serdes/serde.ts";
import type { GlobalKTable } from "./global-ktable.ts";
import { TopologyError, type TopologyGraph } from "./graph.ts";
import { durationMs, type Duration } from "./windows.ts";

/** What a join needs of a KTable: where it is in the graph, the store that holds it, and how to read its rows. */
export interface TableSide {
  readonly graph: TopologyGraph;
  readonly nodeName: string;
  readonly store: string | undefined;
  readonly keySerde: Serde<unknown> | undefined;
  /** Reads the table's current rows: its store, or the stores of the tables it is derived from (mapValues, filter, join). */
  readonly getter: TableValueGetterSupplier<unknown, unknown> | undefined;
}

/** Where a table–table join's result is kept, when it should be queryable or looked up by another join. */
export interface JoinMaterialized<V> {
  readonly store?: string;
  readonly value?: Serde<V>;
  /** Prefix of the join's processor names (`<name>-this`, `<name>-other`, `<name>-merge`). */
  readonly name?: string;
}

function getterOf(side: TableSide, what: string): TableValueGetterSupplier<unknown, unknown> {
  if (side.getter === undefined) {
    throw new TopologyError(
      `${what} needs a table whose rows it can read: a table, an aggregation, a join, or their mapValues/filter; ${side.nodeName} (a suppressed table) is none: turn it into a stream and back with toStream().toTable()`,
    );
  }
  return side.getter;
}

function sameGraph(a: TopologyGraph, b: TopologyGraph): void {
  if (a !== b) throw new TopologyError("a join needs both inputs from the same StreamsBuilder");
}

/** The options of a stream–table join (Kafka Streams' Joined). */
export interface StreamTableJoined<K, V> {
  /** The join processor's name. */
  readonly name?: string;
  /**
   * KIP-923, versioned tables only: stream records wait until stream time reaches their timestamp + grace,
   * then are joined in timestamp order with the table as of their timestamp, so table updates up to the
   * grace late are seen. 0 (default) joins at once. Must not exceed the table's history retention.
   */
  readonly gracePeriod?: Duration;
  /** The grace buffer's store name (it names the changelog); default `<name>-buffer`. */
  readonly store?: string;
  /** The stream's serdes for the grace buffer, when an operator changed the stream's types. */
  readonly key?: Serde<K>;
  readonly value?: Serde<V>;
}

/** stream.join(table) / leftJoin: returns the join node's name. */
export function addStreamTableJoin(
  graph: TopologyGraph,
  streamNode: string,
  table: TableSide,
  left: boolean,
  joiner: (value: unknown, tableValue: unknown) => unknown,
  joined: StreamTableJoined<unknown, unknown> & { readonly key?: Serde<unknown>; readonly value?: Serde<unknown> },
): string {
  sameGraph(graph, table.graph);
  const what = left ? "stream.leftJoin(table)" : "stream.join(table)";
  const getter = getterOf(table, what);
  const node = joined.name ?? graph.nextName(left ? "KSTREAM-LEFTJOIN" : "KSTREAM-JOIN");
  const graceMs = joined.gracePeriod === undefined ? 0 : durationMs(joined.gracePeriod, "grace period");
  if (graceMs === 0) {
    // The node reads the table's stores, which puts the stream and the table in one sub-topology (graph.ts).
    graph.add({ kind: "processor", name: node, supplier: () => new StreamTableJoinProcessor({ table: getter, left, joiner }), parents: [streamNode], children: [], stores: [...getter.stores] });
    return node;
  }
  // Kafka Streams refuses a grace period on a table without history (KIP-923).
  if (!getter.versioned) throw new TopologyError(`${what} with a grace period needs a versioned table: builder.table(topic, { versioned: { historyRetention } })`);
  if (graceMs > getter.versioned.historyRetentionMs) {
    throw new TopologyError(`${what}: the grace period (${graceMs} ms) must not exceed the table's history retention (${getter.versioned.historyRetentionMs} ms)`);
  }
  if (!joined.key || !joined.value) throw new TopologyError(`${what} with a grace period needs the stream's serdes for its buffer: pass { key, value }`);
  const store = joined.store ?? `${node}-buffer`;
  const bytes = serdes.bytes() as Serde<unknown>;
  graph.addStore({ name: store, kind: "keyValue", keySerde: bytes, valueSerde: bytes });
  const grace = { graceMs, store, keySerde: joined.key, valueSerde: joined.value };
  graph.add({
    kind: "processor",
    name: node,
    supplier: () => new StreamTableJoinProcessor({ table: getter, left, joiner, grace }),
    parents: [streamNode],
    children: [],
    stores: [...getter.stores, store],
  });
  return node;
}

/** stream.join(globalTable, keySelector, joiner) / leftJoin. */
export function addStreamGlobalJoin(
  graph: TopologyGraph,
  streamNode: string,
  global: GlobalKTable<unknown, unknown>,
  keySelector: (key: unknown, value: unknown) => unknown,
  left: boolean,
  joiner: (value: unknown, globalValue: unknown) => unknown,
  name: string | undefined,
): string {
  sameGraph(graph, global.graph);
  const store = global.queryableStoreName;
  const node = name ?? graph.nextName(left ? "KSTREAM-LEFTJOIN" : "KSTREAM-JOIN");
  graph.add({
    kind: "processor",
    name: node,
    supplier: () => new StreamTableJoinProcessor({ table: storeGetter(store, false), left, keySelector, joiner }),
    parents: [streamNode],
    children: [],
    stores: [store],
  });
  return node;
}

const tablePrefixes: Record<TableJoinKind, [string, string]> = {
  inner: ["KTABLE-JOINTHIS", "KTABLE-JOINOTHER"],
  left: ["KTABLE-LEFTTHIS", "KTABLE-LEFTOTHER"],
  outer: ["KTABLE-OUTERTHIS", "KTABLE-OUTEROTHER"],
};

/**
 * table.join(other): one processor per side (each looks up the other side's store), merged into one
 * table; with `{ store, value }` the result is materialized too. Returns the result's node, store and getter
 * (without a store, a later join computes the result's rows from both sides' rows).
 */
export function addTableTableJoin(
  left: TableSide,
  right: TableSide,
  kind: TableJoinKind,
  joiner: (l: unknown, r: unknown) => unknown,
  materialized: JoinMaterialized<unknown>,
): { node: string; store: string | undefined; getter: TableValueGetterSupplier<unknown, unknown> } {
  const graph = left.graph;
  sameGraph(graph, right.graph);
  const what = `table.${kind === "inner" ? "join" : `${kind}Join`}(table)`;
  const leftGetter = getterOf(left, what);
  const rightGetter = getterOf(right, what);
  const [thisPrefix, otherPrefix] = tablePrefixes[kind];
  const thisName = materialized.name ? `${materialized.name}-this` : graph.nextName(thisPrefix);
  const otherName = materialized.name ? `${materialized.name}-other` : graph.nextName(otherPrefix);
  const mergeName = materialized.name ? `${materialized.name}-merge` : graph.nextName("KTABLE-MERGE");
  graph.add({
    kind: "processor",
    name: thisName,
    supplier: () => new TableTableJoinProcessor({ kind, side: "left", other: rightGetter, joiner }),
    parents: [left.nodeName],
    children: [],
    stores: [...rightGetter.stores],
  });
  graph.add({
    kind: "processor",
    name: otherName,
    supplier: () => new TableTableJoinProcessor({ kind, side: "right", other: leftGetter, joiner }),
    parents: [right.nodeName],
    children: [],
    stores: [...leftGetter.stores],
  });
  if (materialized.store === undefined) {
    graph.add({ kind: "processor", name: mergeName, supplier: () => new PassThroughProcessor(), parents: [thisName, otherName], children: [], stores: [] });
    return { node: mergeName, store: undefined, getter: joinGetter(leftGetter, rightGetter, kind, joiner) };
  }
  const keySerde = left.keySerde ?? right.keySerde;
  if (!keySerde || !materialized.value) {
    throw new TopologyError(`${what} with { store: "${materialized.store}" } needs { value: serde }${keySerde ? "" : " and tables with a known key serde"}`);
  }
  const store = materialized.store;
  graph.addStore({ name: store, kind: "keyValue", keySerde, valueSerde: materialized.value, timestamped: true });
  graph.add({ kind: "processor", name: mergeName, supplier: () => new TableSourceProcessor(store, true), parents: [thisName, otherName], children: [], stores: [store] });
  return { node: mergeName, store, getter: storeGetter(store, true) };
}
