// Table sources: `builder.table(topic)` (a KTable materialized per task in a key-value store with its own
// changelog) and `builder.globalTable(topic)` (a GlobalKTable: the whole topic in every instance).
import { TableSourceProcessor, VersionedTableSourceProcessor } from "../processor/table-source.ts";
import { versionedStoreGetter } from "../processor/table-value-getter.ts";
import type { Serde } from "../serdes/serde.ts";
import { GlobalKTable } from "./global-ktable.ts";
import { TopologyError, type TopologyGraph } from "./graph.ts";
import { KTable } from "./ktable.ts";
import { durationMs, type Duration } from "./windows.ts";

/** How a table reads its topic: serdes, and the name of the store that holds it. */
export interface TableConsumed<K, V> {
  readonly key: Serde<K>;
  readonly value: Serde<V>;
  /** The store's name (queryable; names the changelog `<applicationId>-<store>-changelog`). Default `<topic>-STATE-STORE-<n>`. */
  readonly store?: string;
  /** The source node's name. */
  readonly name?: string;
  /**
   * Keep every version of each key in a versioned store (Kafka Streams' `Stores.persistentVersionedKeyValueStore`,
   * KIP-889/914): old versions stay readable for `historyRetention` behind the table's stream time, a
   * stream–table join looks the table up as of each stream record's timestamp, and an out-of-order update
   * (older than its key's newest) is stored but not forwarded.
   */
  readonly versioned?: { readonly historyRetention: Duration };
}

/**
 * A KTable over `topic`. Kafka Streams can reuse the source topic as the store's changelog (with
 * `topology.optimization=all`); Weir does what Kafka Streams does by default: the store gets its own
 * compacted changelog, so restore never depends on the input topic's retention or on how it was written.
 */
export function addTableSource<K, V>(graph: TopologyGraph, topic: string, consumed: TableConsumed<K, V>): KTable<K, V> {
  if (topic.length === 0) throw new TopologyError("table() needs a non-empty topic name");
  const sourceName = consumed.name ?? graph.nextName("KSTREAM-SOURCE");
  const name = graph.nextName("KTABLE-SOURCE");
  const store = consumed.store ?? `${topic}-STATE-STORE-${name.slice(-10)}`;
  if (consumed.versioned) {
    const historyRetentionMs = durationMs(consumed.versioned.historyRetention, "history retention");
    graph.addStore({ name: store, kind: "versioned", keySerde: consumed.key, valueSerde: consumed.value, historyRetentionMs });
    graph.add({ kind: "source", name: sourceName, topics: [topic], keySerde: consumed.key, valueSerde: consumed.value, children: [] });
    graph.add({ kind: "processor", name, supplier: () => new VersionedTableSourceProcessor<K, V>(store), parents: [sourceName], children: [], stores: [store] });
    return new KTable<K, V>(graph, name, { key: consumed.key, value: consumed.value }, store, undefined, versionedStoreGetter<K, V>(store, historyRetentionMs));
  }
  graph.addStore({ name: store, kind: "keyValue", keySerde: consumed.key, valueSerde: consumed.value, timestamped: true });
  graph.add({ kind: "source", name: sourceName, topics: [topic], keySerde: consumed.key, valueSerde: consumed.value, children: [] });
  graph.add({ kind: "processor", name, supplier: () => new TableSourceProcessor<K, V>(store, true), parents: [sourceName], children: [], stores: [store] });
  return new KTable<K, V>(graph, name, { key: consumed.key, value: consumed.value }, store);
}

/** A GlobalKTable over every partition of `topic`; the topic itself is the global store's changelog. */
export function addGlobalTable<K, V>(graph: TopologyGraph, topic: string, consumed: TableConsumed<K, V> & { readonly store: string }): GlobalKTable<K, V> {
  if (topic.length === 0) throw new TopologyError("globalTable() needs a non-empty topic name");
  graph.addStore({ name: consumed.store, kind: "keyValue", keySerde: consumed.key, valueSerde: consumed.value, global: { topic } });
  return new GlobalKTable<K, V>(graph, topic, consumed.store, consumed.key, consumed.value);
}

/** How `stream.toTable()` keeps its rows: the store's name and serdes (needed when an operator changed the types). */
export interface ToTableOptions<K, V> {
  /** The store's name (queryable; names the changelog). Default `<processor name>-STATE-STORE`. */
  readonly store?: string;
  readonly key?: Serde<K>;
  readonly value?: Serde<V>;
  /** The processor's name. */
  readonly name?: string;
  /** Keep every version of each key, as `builder.table(topic, { versioned })`. */
  readonly versioned?: { readonly historyRetention: Duration };
}

/**
 * KStream.toTable: a table over the stream's records after `parent`, as `builder.table` over a topic: each
 * record upserts its key in a timestamped store with its own changelog, a null value deletes it.
 */
export function addStreamToTable<K, V>(graph: TopologyGraph, parent: string, options: ToTableOptions<K, V> & { readonly key: Serde<K>; readonly value: Serde<V> }): KTable<K, V> {
  const name = options.name ?? graph.nextName("KSTREAM-TOTABLE");
  const store = options.store ?? `${name}-STATE-STORE`;
  if (options.versioned) {
    const historyRetentionMs = durationMs(options.versioned.historyRetention, "history retention");
    graph.addStore({ name: store, kind: "versioned", keySerde: options.key, valueSerde: options.value, historyRetentionMs });
    graph.add({ kind: "processor", name, supplier: () => new VersionedTableSourceProcessor<K, V>(store), parents: [parent], children: [], stores: [store] });
    return new KTable<K, V>(graph, name, { key: options.key, value: options.value }, store, undefined, versionedStoreGetter<K, V>(store, historyRetentionMs));
  }
  graph.addStore({ name: store, kind: "keyValue", keySerde: options.key, valueSerde: options.value, timestamped: true });
  graph.add({ kind: "processor", name, supplier: () => new TableSourceProcessor<K, V>(store, true), parents: [parent], children: [], stores: [store] });
  return new KTable<K, V>(graph, name, { key: options.key, value: options.value }, store);
}
