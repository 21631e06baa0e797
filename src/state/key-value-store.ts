// A typed key-value store on its table in the task's state file, with a write cache that keeps hot
// entries deserialized and merges repeated updates of a key into one changelog record per flush.
import type { Serde } from "../serdes/serde.ts";
import { EMPTY_KEY, compareIds, nextPrefix, successor } from "./key-order.ts";
import { KeyValueTable, type StoreTable } from "./kv-table.ts";
import { StateError } from "./errors.ts";
import type { CachedStore, StateTransaction } from "./transaction.ts";
import type { KeyValueIterator, KeyValueStore, KeyValueStoreOptions } from "./types.ts";

/** What a cache entry costs beyond its key and value bytes: the entry object, its Map slot and id string. */
export const CACHE_ENTRY_OVERHEAD_BYTES = 64;

/**
 * Rows an iterator reads from SQLite at a time: few at first, doubling up to the maximum, so that an
 * iterator stopped after a few rows (the next due timeout of a CEP index) reads few.
 */
const ITERATOR_FIRST_PAGE_ROWS = 8;
const ITERATOR_PAGE_ROWS = 512;

class CacheEntry<V> {
  /** The key's bytes as a latin1 string: the Map key, and an order equal to the bytes' order. */
  readonly id: string;
  readonly key: Buffer;
  /** The serialized value, taken at put() so that later mutation of the object does not change it; null = absent. */
  value: Buffer | null;
  object: V | undefined;
  /** Written since the last flush: SQLite and the changelog do not have it yet. */
  dirty: boolean;
  /**
   * SQLite is known to have no row for the key (a read found none, or the last flush deleted it): the flush
   * inserts without trying an update first. False when unknown (a write without a read).
   */
  absent: boolean;

  constructor(id: string, key: Buffer, value: Buffer | null, object: V | undefined, dirty: boolean, absent: boolean) {
    this.id = id;
    this.key = key;
    this.value = value;
    this.object = object;
    this.dirty = dirty;
    this.absent = absent;
  }
}

function byId(a: CacheEntry<unknown>, b: CacheEntry<unknown>): number {
  return compareIds(a.id, b.id);
}

export class SqliteKeyValueStore<K, V> implements KeyValueStore<K, V>, CachedStore {
  readonly name: string;
  readonly changelogTopic: string;
  readonly changelogPartition: number;
  private readonly keySerde: Serde<K>;
  private readonly valueSerde: Serde<V>;
  /** Its SQLite table; the file restores into it directly. Window and session stores bring their own layout. */
  readonly table: StoreTable;
  private readonly tx: StateTransaction;
  private readonly cacheEnabled: boolean;
  private readonly cache = new Map<string, CacheEntry<V>>();
  private dirtyCount = 0;
  /** Rows in the table, kept up to date by every write; undefined until counted (after open or restore). */
  private rows: number | undefined;
  private committedRows: number | undefined;

  constructor(options: KeyValueStoreOptions<K, V>, table: StoreTable, tx: StateTransaction) {
    this.name = options.name;
    this.changelogTopic = options.changelogTopic;
    this.changelogPartition = options.changelogPartition;
    this.keySerde = options.keySerde;
    this.valueSerde = options.valueSerde;
    this.table = table;
    this.tx = tx;
    this.cacheEnabled = tx.cacheMaxBytes > 0;
  }

  get(key: K): V | undefined {
    this.tx.assertReadable("get");
    return this.read(this.keySerde.serialize(key, this.changelogTopic));
  }

  /** A null or undefined value deletes the key, as in Kafka Streams. */
  put(key: K, value: V): void {
    if (value === null || value === undefined) {
      this.delete(key);
      return;
    }
    const k = this.keySerde.serialize(key, this.changelogTopic);
    const v = this.valueSerde.serialize(value, this.changelogTopic);
    this.tx.beginWrite("put");
    this.write(k, v, value);
  }

  /** put() of a value already serialized with this store's value serde (the suppress buffer keeps those bytes). */
  putSerialized(key: K, value: V, serialized: Buffer): void {
    const k = this.keySerde.serialize(key, this.changelogTopic);
    this.tx.beginWrite("put");
    this.write(k, serialized, value);
  }

  putIfAbsent(key: K, value: V): V | undefined {
    this.tx.assertReadable("putIfAbsent");
    const k = this.keySerde.serialize(key, this.changelogTopic);
    const existing = this.read(k);
    if (existing !== undefined || value === null || value === undefined) return existing;
    const v = this.valueSerde.serialize(value, this.changelogTopic);
    this.tx.beginWrite("putIfAbsent");
    this.write(k, v, value);
    return undefined;
  }

  /** Writes a tombstone only when the key has a value: the store mirrors its changelog, so an absent key has none to cover. */
  delete(key: K): V | undefined {
    this.tx.assertReadable("delete");
    const k = this.keySerde.serialize(key, this.changelogTopic);
    const existing = this.read(k);
    if (existing === undefined) return undefined;
    this.tx.beginWrite("delete");
    this.write(k, null, undefined);
    return existing;
  }

  /**
   * Deletes a key the caller has just read from the table with nothing written since (a suppress buffer's due
   * rows): `delete` without its read of the key, which would miss the cache and ask SQLite again.
   */
  deleteStored(key: K): void {
    this.tx.assertReadable("delete");
    const k = this.keySerde.serialize(key, this.changelogTopic);
    this.tx.beginWrite("delete");
    this.write(k, null, undefined);
  }

  range(from: K | undefined, to: K | undefined): KeyValueIterator<K, V> {
    this.tx.assertReadable("range");
    const lower = from === undefined ? EMPTY_KEY : this.keySerde.serialize(from, this.changelogTopic);
    const upper = to === undefined ? undefined : this.keySerde.serialize(to, this.changelogTopic);
    // from > to is an empty range, as in Kafka Streams.
    if (upper !== undefined && Buffer.compare(lower, upper) > 0) return this.scan(EMPTY_KEY, EMPTY_KEY, false);
    return this.scan(lower, upper, true);
  }

  prefixScan<P>(prefix: P, prefixSerde: Serde<P>): KeyValueIterator<K, V> {
    this.tx.assertReadable("prefixScan");
    const lower = prefixSerde.serialize(prefix, this.changelogTopic);
    return this.scan(lower, nextPrefix(lower), false);
  }

  all(): KeyValueIterator<K, V> {
    this.tx.assertReadable("all");
    return this.scan(EMPTY_KEY, undefined, false);
  }

  /** Rows in SQLite, kept by every write; writes still only in the write cache are not counted yet. */
  approximateNumEntries(): number {
    this.tx.assertReadable("approximateNumEntries");
    // Counted once after open or restore (O(rows): ~30 ms per million), then adjusted by each write.
    this.rows ??= this.table.count();
    return this.rows;
  }

  // --- CachedStore: called by the file's transaction ---

  flushDirty(): void {
    if (this.dirtyCount === 0) return;
    const dirty: CacheEntry<V>[] = [];
    for (const entry of this.cache.values()) if (entry.dirty) dirty.push(entry);
    // Sorted by key, the B-tree is written front to back instead of at random.
    dirty.sort(byId);
    this.tx.openSqliteTransaction();
    for (const entry of dirty) {
      this.store(entry.key, entry.value, entry.absent);
      entry.absent = entry.value === null;
      entry.dirty = false;
      this.dirtyCount--;
    }
  }

  clearCache(): void {
    this.cache.clear();
    this.dirtyCount = 0;
  }

  /** Drops the older half of the cached entries (a Map iterates in insertion order); dirty ones stay. */
  dropOlderEntries(): void {
    let drop = this.cache.size >>> 1;
    for (const [id, entry] of this.cache) {
      if (drop-- <= 0) break;
      if (entry.dirty) continue;
      this.cache.delete(id);
      this.tx.cacheBytes -= entry.key.length + (entry.value === null ? 0 : entry.value.length) + CACHE_ENTRY_OVERHEAD_BYTES;
    }
  }

  committed(): void {
    this.committedRows = this.rows;
  }

  rolledBack(): void {
    this.clearCache();
    this.rows = this.committedRows;
  }

  /** Restore wrote the table behind the cache: forget both the cached entries and the count. */
  restored(): void {
    this.clearCache();
    this.rows = undefined;
    this.committedRows = undefined;
  }

  // --- the per-record path: no closures, no allocation beyond the key id and a new entry ---

  private read(k: Buffer): V | undefined {
    if (!this.cacheEnabled) {
      const stored = this.table.get(k);
      return stored === undefined ? undefined : this.valueSerde.deserialize(stored, this.changelogTopic);
    }
    const id = k.toString("latin1");
    const hit = this.cache.get(id);
    if (hit !== undefined) return hit.object;
    const stored = this.table.get(k);
    const object = stored === undefined ? undefined : this.valueSerde.deserialize(stored, this.changelogTopic);
    // Absent keys are cached too, so that the get-then-put of a new key reads SQLite once.
    this.cache.set(id, new CacheEntry<V>(id, k, stored ?? null, object, false, stored === undefined));
    this.tx.cacheBytes += k.length + (stored === undefined ? 0 : stored.length) + CACHE_ENTRY_OVERHEAD_BYTES;
    if (this.tx.cacheBytes > this.tx.cacheMaxBytes) this.tx.shrinkCaches();
    return object;
  }

  /** The caller has called tx.beginWrite(). */
  private write(k: Buffer, v: Buffer | null, object: V | undefined): void {
    if (!this.cacheEnabled) {
      try {
        this.tx.openSqliteTransaction();
        this.store(k, v, false);
      } catch (err) {
        throw this.tx.fail("write", err);
      }
      return;
    }
    const id = k.toString("latin1");
    const entry = this.cache.get(id);
    if (entry === undefined) {
      this.cache.set(id, new CacheEntry<V>(id, k, v, object, true, false));
      this.dirtyCount++;
      this.tx.cacheBytes += k.length + (v === null ? 0 : v.length) + CACHE_ENTRY_OVERHEAD_BYTES;
    } else {
      this.tx.cacheBytes += (v === null ? 0 : v.length) - (entry.value === null ? 0 : entry.value.length);
      entry.value = v;
      entry.object = object;
      if (!entry.dirty) {
        entry.dirty = true;
        this.dirtyCount++;
      }
    }
    if (this.tx.cacheBytes > this.tx.cacheMaxBytes) this.tx.shrinkCaches();
  }

  /**
   * Writes one key to SQLite (inside the open transaction) and queues its changelog record. `absent`: the table
   * is known to have no row for it (most of a windowed aggregation's writes are a new window's first).
   */
  private store(k: Buffer, v: Buffer | null, absent: boolean): void {
    if (v === null) {
      if (!absent && this.table.remove(k) && this.rows !== undefined) this.rows--;
    } else if (absent) {
      this.table.insert(k, v);
      if (this.rows !== undefined) this.rows++;
    } else if (this.table.write(k, v) && this.rows !== undefined) {
      this.rows++;
    }
    this.tx.queue({ topic: this.changelogTopic, partition: this.changelogPartition, key: k, value: v });
  }

  /**
   * Reads [lower, upper] (or [lower, upper) when not inclusive) page by page. Before each page the
   * store's dirty entries go to SQLite, so the iterator sees every write made before it reads a page.
   */
  private *scan(lower: Buffer, upper: Buffer | undefined, upperInclusive: boolean): Generator<readonly [K, V]> {
    const table = this.table;
    // Window, session and buffer stores read through their own time-ordered queries, never a key scan.
    if (!(table instanceof KeyValueTable)) throw new StateError("WEIR_STATE_STORE_INVALID", `store ${this.name} cannot be scanned by key`);
    let from = lower;
    let pageRows = ITERATOR_FIRST_PAGE_ROWS;
    for (;;) {
      this.tx.assertReadable("iterate");
      if (this.dirtyCount > 0) this.tx.flushStores("iterate");
      const rows = table.page(from, upper, upperInclusive, pageRows);
      for (const [k, v] of rows) {
        yield [this.keySerde.deserialize(k, this.changelogTopic), this.valueSerde.deserialize(v, this.changelogTopic)] as const;
      }
      if (rows.length < pageRows) return;
      from = successor(rows[rows.length - 1]![0]);
      pageRows = Math.min(pageRows * 2, ITERATOR_PAGE_ROWS);
    }
  }
}
