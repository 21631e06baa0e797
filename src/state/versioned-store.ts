// A typed versioned key-value store (Kafka Streams' VersionedKeyValueStore, KIP-889) on its table in the
// task's state file: every version is a row of the key-value store's write cache and changelog (changelog
// key = key bytes + 8-byte timestamp, value = flag byte + value bytes), so a restore rebuilds the history
// exactly; reads by time go to SQLite after the cache is flushed. See docs/architecture.md, "Versioned tables".
import type { Serde } from "../serdes/serde.ts";
import { StateError } from "./errors.ts";
import type { SqliteKeyValueStore } from "./key-value-store.ts";
import { segmentIntervalMs } from "./retention.ts";
import type { CachedStore, StateTransaction } from "./transaction.ts";
import type { KeyValueStoreOptions } from "./types.ts";
import { VERSION_TOMBSTONE, VERSION_VALUE, versionKey, type VersionRow, type VersionedTable } from "./versioned-table.ts";

/** `put` of the key's newest version: it has no end of validity (Kafka Streams' PUT_RETURN_CODE_VALID_TO_UNDEFINED). */
export const VALID_TO_UNDEFINED = -1;
/** `put` refused: the timestamp is older than the store's stream time minus its history retention (PUT_RETURN_CODE_NOT_PUT). */
export const NOT_PUT = Number.MIN_SAFE_INTEGER;

/** One version of a key: valid from `timestamp` until `validTo` (exclusive; undefined while it is the newest). */
export interface VersionedRecord<V> {
  readonly value: V;
  readonly timestamp: number;
  readonly validTo?: number;
}

/**
 * A key's history of values by timestamp, kept for `historyRetentionMs` behind the store's stream time (the
 * largest timestamp put). The newest version of a key is kept whatever its age. A write older than stream
 * time − retention is refused, and a read as of such a time finds only a newest version, as in Kafka Streams.
 */
export interface VersionedKeyValueStore<K, V> {
  readonly name: string;
  readonly historyRetentionMs: number;
  /**
   * Adds the version of `key` valid from `timestamp` (null: a tombstone, the key has no value from then);
   * a version at the same timestamp is replaced. Returns the new version's end of validity (the next
   * version's timestamp), VALID_TO_UNDEFINED when it is the newest, or NOT_PUT when refused.
   */
  put(key: K, value: V | null, timestamp: number): number;
  /** Puts a tombstone at `timestamp`; returns the version that was valid at that time, if any. */
  delete(key: K, timestamp: number): VersionedRecord<V> | undefined;
  /** The newest version; undefined when the key has none or its newest is a tombstone. */
  get(key: K): VersionedRecord<V> | undefined;
  /**
   * The version valid at `asOfTimestamp`; undefined when none is. Before stream time − retention only the
   * key's newest version is found (when it is valid then), as in Kafka Streams.
   */
  get(key: K, asOfTimestamp: number): VersionedRecord<V> | undefined;
  /** The largest timestamp put; -1 when the store is empty. */
  observedStreamTimeMs(): number;
  approximateNumEntries(): number;
}

export interface VersionedKeyValueStoreOptions<K, V> extends KeyValueStoreOptions<K, V> {
  /** How long old versions stay readable behind stream time (Kafka Streams' historyRetention); ≥ 0. */
  readonly historyRetentionMs: number;
}

export class SqliteVersionedKeyValueStore<K, V> implements VersionedKeyValueStore<K, V>, CachedStore {
  readonly name: string;
  readonly historyRetentionMs: number;
  private readonly keySerde: Serde<K>;
  private readonly valueSerde: Serde<V>;
  private readonly topic: string;
  private readonly rows: SqliteKeyValueStore<Buffer, Buffer>;
  private readonly table: VersionedTable;
  private readonly tx: StateTransaction;
  private readonly sweepIntervalMs: number;
  /** The store's stream time; undefined until read from the table (after open, restore or rollback). */
  private time: number | undefined;
  /** Every key's unreachable versions before this cutoff were deleted; -Infinity = not yet since open. */
  private sweptBefore = Number.NEGATIVE_INFINITY;

  /** `rows` is the bytes key-value store over `table`. */
  constructor(options: VersionedKeyValueStoreOptions<K, V>, rows: SqliteKeyValueStore<Buffer, Buffer>, table: VersionedTable, tx: StateTransaction) {
    if (!Number.isSafeInteger(options.historyRetentionMs) || options.historyRetentionMs < 0) {
      throw new StateError("WEIR_STATE_OPTIONS_INVALID", `versioned store ${options.name} needs historyRetentionMs, an integer ≥ 0, got ${options.historyRetentionMs}`);
    }
    this.name = options.name;
    this.historyRetentionMs = options.historyRetentionMs;
    this.keySerde = options.keySerde;
    this.valueSerde = options.valueSerde;
    this.topic = options.changelogTopic;
    this.rows = rows;
    this.table = table;
    this.tx = tx;
    this.sweepIntervalMs = segmentIntervalMs(options.historyRetentionMs);
  }

  put(key: K, value: V | null, timestamp: number): number {
    if (!Number.isSafeInteger(timestamp) || timestamp < 0) {
      throw new StateError("WEIR_STATE_OPTIONS_INVALID", `versioned store ${this.name}: a put needs a timestamp ≥ 0, got ${timestamp}`);
    }
    this.tx.beginWrite("put");
    this.readable("put");
    const now = this.now();
    if (timestamp < now - this.historyRetentionMs) return NOT_PUT;
    this.time = Math.max(now, timestamp);
    const k = this.keySerde.serialize(key, this.topic);
    const validTo = this.table.nextAfter(k, timestamp);
    let flagged: Buffer;
    if (value === null || value === undefined) {
      flagged = Buffer.of(VERSION_TOMBSTONE);
    } else {
      const bytes = this.valueSerde.serialize(value, this.topic);
      flagged = Buffer.allocUnsafe(1 + bytes.length);
      flagged[0] = VERSION_VALUE;
      bytes.copy(flagged, 1);
    }
    this.rows.put(versionKey(k, timestamp), flagged);
    this.expire(k);
    return validTo ?? VALID_TO_UNDEFINED;
  }

  delete(key: K, timestamp: number): VersionedRecord<V> | undefined {
    this.tx.assertReadable("delete");
    if (timestamp < this.now() - this.historyRetentionMs) return undefined;
    const before = this.get(key, timestamp);
    this.put(key, null, timestamp);
    return before;
  }

  get(key: K, asOfTimestamp?: number): VersionedRecord<V> | undefined {
    this.readable("get");
    const k = this.keySerde.serialize(key, this.topic);
    if (asOfTimestamp === undefined) return this.record(this.table.latest(k), undefined);
    if (asOfTimestamp < this.now() - this.historyRetentionMs) {
      // Past the retention only the key's newest version answers, when it is valid then: it never expires.
      const latest = this.table.latest(k);
      return latest !== undefined && latest.validFrom <= asOfTimestamp ? this.record(latest, undefined) : undefined;
    }
    const row = this.table.floor(k, asOfTimestamp);
    if (row === undefined || row.value[0] === VERSION_TOMBSTONE) return undefined;
    return this.record(row, this.table.nextAfter(k, row.validFrom));
  }

  observedStreamTimeMs(): number {
    this.readable("observedStreamTimeMs");
    return this.now();
  }

  /** Rows in SQLite: every version held, tombstones included. */
  approximateNumEntries(): number {
    return this.rows.approximateNumEntries();
  }

  // --- CachedStore: the stream time is derived from the table, forgotten whenever it may have changed behind it ---

  flushDirty(): void {}

  clearCache(): void {
    this.time = undefined;
  }

  committed(): void {}

  rolledBack(): void {
    this.time = undefined;
    this.sweptBefore = Number.NEGATIVE_INFINITY;
  }

  /**
   * The largest version timestamp held. Expiry never deletes that version (it is its key's newest, and a
   * tombstone is deleted only when older than the cutoff), so the table always knows the stream time.
   */
  private now(): number {
    this.time ??= this.table.maxTimestamp() ?? -1;
    return this.time;
  }

  /**
   * Deletes `key`'s versions no read can reach any more (each with a changelog tombstone, so the compacted
   * changelog forgets them too), and every key's once per segment interval of stream time.
   */
  private expire(k: Buffer): void {
    const cutoff = this.now() - this.historyRetentionMs;
    for (const validFrom of this.table.expiredVersionsOf(k, cutoff)) this.rows.delete(versionKey(k, validFrom));
    if (cutoff < this.sweptBefore + this.sweepIntervalMs) return;
    this.readable("expire");
    for (const old of this.table.expiredVersions(cutoff)) this.rows.delete(versionKey(old.key, old.validFrom));
    this.sweptBefore = cutoff;
  }

  /** SQLite is read directly: the write cache's dirty entries go there first. */
  private readable(operation: string): void {
    this.tx.assertReadable(operation);
    this.tx.flushStores(operation);
  }

  private record(row: VersionRow | undefined, validTo: number | undefined): VersionedRecord<V> | undefined {
    if (row === undefined || row.value[0] === VERSION_TOMBSTONE) return undefined;
    const value = this.valueSerde.deserialize(row.value.subarray(1), this.topic);
    return validTo === undefined ? { value, timestamp: row.validFrom } : { value, timestamp: row.validFrom, validTo };
  }
}
