// The state layer's contract: typed key-value stores kept in one SQLite file per task, the changelog
// records their changes produce, and the checkpoint of changelog offsets the file reflects.
import type { Serde } from "../serdes/serde.ts";

/** One state change as it goes to the store's compacted changelog topic; `value: null` is a tombstone. */
export interface ChangelogRecord {
  readonly topic: string;
  readonly partition: number;
  readonly key: Buffer;
  readonly value: Buffer | null;
}

/** A changelog record read back during restore. */
export interface RestoreRecord {
  readonly key: Buffer;
  readonly value: Buffer | null;
  /** Its offset in the changelog partition (decimal string). */
  readonly offset: string;
}

/**
 * Entries in key order. It reads SQLite page by page and holds no statement open between pages, so it
 * needs no close() and the store may be written while iterating (later pages see those writes).
 */
export type KeyValueIterator<K, V> = IterableIterator<readonly [K, V]>;

/**
 * A key-value store. Keys are ordered by their serialized bytes (unsigned, lexicographic),
 * as in Kafka Streams. Writes are visible to reads at once; they become durable at the task's commit.
 */
export interface KeyValueStore<K, V> {
  readonly name: string;
  get(key: K): V | undefined;
  put(key: K, value: V): void;
  /** Stores `value` only when `key` has none; returns the value already there, if any. */
  putIfAbsent(key: K, value: V): V | undefined;
  /** Removes `key`; returns the value it had. */
  delete(key: K): V | undefined;
  /** Entries with from ≤ key ≤ to (bounds inclusive; undefined = unbounded), in key order. */
  range(from: K | undefined, to: K | undefined): KeyValueIterator<K, V>;
  /** Entries whose serialized key starts with the serialized `prefix`, in key order. */
  prefixScan<P>(prefix: P, prefixSerde: Serde<P>): KeyValueIterator<K, V>;
  all(): KeyValueIterator<K, V>;
  approximateNumEntries(): number;
}

export interface KeyValueStoreOptions<K, V> {
  readonly name: string;
  readonly keySerde: Serde<K>;
  readonly valueSerde: Serde<V>;
  /** Where this store's changes go: `<applicationId>-<store>-changelog`, partition = the task's partition. */
  readonly changelogTopic: string;
  readonly changelogPartition: number;
}

export interface StateFileOptions {
  /**
   * Upper bound of the write cache of all stores of the file, in bytes of keys + values + 64 per entry
   * (the entry's own memory); 0 turns it off. Past it, dirty entries go to SQLite and the cache empties.
   */
  readonly cacheMaxBytes: number;
  /** SQLite's page cache of the file, in bytes; default DEFAULT_PAGE_CACHE_BYTES. */
  readonly pageCacheBytes?: number;
}

/**
 * The default page cache of a state file (SQLite's own default is 2 MB). 8 MiB rather than 64: six tasks'
 * files of a 10,000,000-key store held ~240 MB more RSS with 64 MiB each, and restored no faster (bench W6).
 */
export const DEFAULT_PAGE_CACHE_BYTES = 8 << 20;

/** `topic:partition` → the next changelog offset to restore from. */
export type Checkpoint = Map<string, string>;

export function changelogPartitionKey(topic: string, partition: number): string {
  return `${topic}:${partition}`;
}

/** The topic of a `topic:partition` key (topic names may not contain ':'). */
export function topicOfPartitionKey(key: string): string {
  return key.slice(0, key.lastIndexOf(":"));
}

/** A window store's value with the largest timestamp of the records aggregated into it (Kafka Streams' ValueAndTimestamp). */
export interface ValueAndTimestamp<V> {
  readonly value: V;
  readonly timestamp: number;
}

/** One window of a window store: `end` is start + the store's window size. */
export interface WindowStoreEntry<K, V> {
  readonly key: K;
  readonly start: number;
  readonly end: number;
  readonly value: V;
  readonly timestamp: number;
}

/**
 * Aggregates per key and window start, as Kafka Streams' TimestampedWindowStore. Windows that start at
 * or before the store's stream time minus its retention are expired: reads skip them, puts into them are
 * ignored, and their rows are deleted as stream time passes (without tombstones: the changelog topic
 * deletes old records by its own retention, as in Kafka Streams).
 */
export interface WindowStore<K, V> {
  readonly name: string;
  readonly windowSizeMs: number;
  readonly retentionMs: number;
  /** Stores the window's aggregate with the largest record timestamp in it; null deletes the window (a tombstone). */
  put(key: K, windowStart: number, value: V | null, timestamp: number): void;
  fetch(key: K, windowStart: number): ValueAndTimestamp<V> | undefined;
  /** The windows of `key` whose start is in [fromStart, toStart], by start. */
  fetchRange(key: K, fromStart: number, toStart: number): WindowStoreEntry<K, V>[];
  /** The windows of every key whose start is in [fromStart, toStart], by key then start. */
  fetchAll(fromStart: number, toStart: number): IterableIterator<WindowStoreEntry<K, V>>;
  all(): IterableIterator<WindowStoreEntry<K, V>>;
  /** The largest record timestamp the store holds or was given since it opened; -1 when it has none. */
  observedStreamTimeMs(): number;
  approximateNumEntries(): number;
}

/** One session: both bounds inclusive; `start` is its first record's timestamp, `end` its last. */
export interface SessionStoreEntry<K, V> {
  readonly key: K;
  readonly start: number;
  readonly end: number;
  readonly value: V;
}

/** Aggregates per key and session, as Kafka Streams' SessionStore; sessions that ended before stream time minus retention expire. */
export interface SessionStore<K, V> {
  readonly name: string;
  readonly retentionMs: number;
  /** Stores the session's aggregate; null removes it (a tombstone). */
  put(key: K, start: number, end: number, value: V | null): void;
  remove(key: K, start: number, end: number): void;
  fetchSession(key: K, start: number, end: number): V | undefined;
  /** Sessions of `key` that end at or after `earliestEnd` and start at or before `latestStart`. */
  findSessions(key: K, earliestEnd: number, latestStart: number): SessionStoreEntry<K, V>[];
  /** Sessions of every key that end in [earliestEnd, latestEnd], by key then start. */
  fetchAll(earliestEnd: number, latestEnd: number): IterableIterator<SessionStoreEntry<K, V>>;
  all(): IterableIterator<SessionStoreEntry<K, V>>;
  /** The latest session end the store holds or was given since it opened; -1 when it has none. */
  observedStreamTimeMs(): number;
  approximateNumEntries(): number;
}

export interface WindowStoreOptions<K, V> extends KeyValueStoreOptions<K, V> {
  readonly windowSizeMs: number;
  /** How long windows are kept after their start; Infinity keeps them. */
  readonly retentionMs: number;
}

export interface SessionStoreOptions<K, V> extends KeyValueStoreOptions<K, V> {
  /** How long sessions are kept after their end; Infinity keeps them. */
  readonly retentionMs: number;
}
