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
}

/** `topic:partition` → the next changelog offset to restore from. */
export type Checkpoint = Map<string, string>;

export function changelogPartitionKey(topic: string, partition: number): string {
  return `${topic}:${partition}`;
}

/** The topic of a `topic:partition` key (topic names may not contain ':'). */
export function topicOfPartitionKey(key: string): string {
  return key.slice(0, key.lastIndexOf(":"));
}
