// The record cache, Kafka Streams' statestore.cache.max.bytes: a key-value store of a KTable-producing
// aggregation keeps its updates in memory between commits, and only the latest value of each key reaches
// the store and the flush listener (which forwards it downstream) when the cache is flushed, at every commit,
// or when it outgrows its share of the budget (the least recently updated entries first).
// (docs/architecture.md, "The record cache".)
import type { Serde } from "../serdes/serde.ts";
import type { KeyValueIterator, KeyValueStore } from "./types.ts";

/** Headers travel with a cached update so that the forwarded record keeps those of its last input. */
export type CachedHeaders = Record<string, Buffer | undefined>;

/** What the forwarded record of a cached update keeps of the input record that made it. */
export interface CachedContext {
  readonly headers: CachedHeaders;
  readonly timestamp: number;
}

/**
 * Called for each dirty key when it leaves the cache (flush or eviction), after the store was written:
 * `value` the latest (undefined: deleted), `prior` the value the store had before the first cached update,
 * `context` that of the last update. Not called when the key had no value before and has none now.
 */
export type CacheFlushListener<K, V> = (key: K, value: V | undefined, prior: V | undefined, context: CachedContext) => void;

/** Memory of an entry beyond its key and value (the entry object, the map's slot), as the write cache counts it. */
const ENTRY_OVERHEAD_BYTES = 64;
const NO_CONTEXT: CachedContext = { headers: {}, timestamp: 0 };

class CacheEntry<K, V> {
  key: K;
  /** The latest value; undefined: the key has none (absent, or deleted). */
  value: V | undefined;
  /** What the underlying store holds for the key: the value before the first update not yet flushed. */
  prior: V | undefined;
  dirty: boolean;
  /** A dirty entry already written to the underlying store (a scan needed it there); it is still forwarded. */
  written: boolean;
  context: CachedContext;
  bytes: number;
  constructor(key: K, value: V | undefined, bytes: number) {
    this.key = key;
    this.value = value;
    this.prior = value;
    this.dirty = false;
    this.written = false;
    this.context = NO_CONTEXT;
    this.bytes = bytes;
  }
}

/** The instance's budget, shared equally by its open tasks (Kafka Streams divides it among stream threads). */
export class RecordCacheBudget {
  readonly maxBytes: number;
  private readonly tasks = new Set<TaskRecordCache>();
  constructor(maxBytes: number) {
    if (!Number.isSafeInteger(maxBytes) || maxBytes < 0) throw new RangeError(`the record cache budget must be an integer ≥ 0, got ${maxBytes}`);
    this.maxBytes = maxBytes;
  }
  /** A task opens: its cache's share is the budget divided by the tasks open. */
  join(): TaskRecordCache {
    const cache = new TaskRecordCache(() => Math.floor(this.maxBytes / Math.max(1, this.tasks.size)));
    this.tasks.add(cache);
    return cache;
  }
  leave(cache: TaskRecordCache): void {
    this.tasks.delete(cache);
  }
  get openTasks(): number {
    return this.tasks.size;
  }
}

/** One task's record cache: the cached stores of its sub-topology and the bytes they hold together. */
export class TaskRecordCache {
  bytes = 0;
  private readonly share: () => number;
  private readonly stores: CachingKeyValueStore<unknown, unknown>[] = [];
  private flushing = false;

  constructor(share: () => number) {
    this.share = share;
  }

  get maxBytes(): number {
    return this.share();
  }

  /** `store` behind a record cache; `keySerde` identifies keys that are not strings or numbers. */
  wrap<K, V>(store: KeyValueStore<K, V>, keySerde: Serde<K>, topic: string): CachingKeyValueStore<K, V> {
    const cached = new CachingKeyValueStore(store, keySerde, topic, this);
    this.stores.push(cached as CachingKeyValueStore<unknown, unknown>);
    return cached;
  }

  /** Entries updated and not yet flushed, over every store. */
  dirtyCount(): number {
    let n = 0;
    for (const s of this.stores) n += s.dirtyCount;
    return n;
  }

  /**
   * Writes every dirty entry to its store and hands it to the store's listener, until none is left (what a
   * listener forwards may update another cached store of the task). Called at each commit, before the stores'
   * own flush, so that the forwarded records and the store's changelog go into the same transaction.
   */
  flush(): void {
    if (this.flushing) return;
    this.flushing = true;
    try {
      for (let round = 0; round < 100; round++) {
        let flushed = 0;
        for (const s of this.stores) flushed += s.flush();
        if (flushed === 0) return;
      }
      throw new Error("the record cache did not settle after 100 flush rounds: cached stores keep updating each other");
    } finally {
      this.flushing = false;
    }
  }

  /** Forgets every entry without writing or forwarding (rollback: the stores went back to the last commit). */
  clear(): void {
    for (const s of this.stores) s.clear();
    this.bytes = 0;
  }
}

/**
 * A key-value store behind the record cache. Reads see the cached values; scans first write the dirty entries
 * through to the store (they are still forwarded at the flush). Not safe to share across tasks.
 */
export class CachingKeyValueStore<K, V> implements KeyValueStore<K, V> {
  readonly name: string;
  private readonly inner: KeyValueStore<K, V>;
  private readonly keySerde: Serde<K>;
  private readonly topic: string;
  private readonly task: TaskRecordCache;
  /** In least-recently-updated order: an update moves its entry to the end. */
  private readonly entries = new Map<unknown, CacheEntry<K, V>>();
  private listener: CacheFlushListener<K, V> | undefined;
  dirtyCount = 0;

  constructor(inner: KeyValueStore<K, V>, keySerde: Serde<K>, topic: string, task: TaskRecordCache) {
    this.name = inner.name;
    this.inner = inner;
    this.keySerde = keySerde;
    this.topic = topic;
    this.task = task;
  }

  /** Where dirty entries go when they leave the cache; one per store, the last set wins (as in Kafka Streams). */
  setFlushListener(listener: CacheFlushListener<K, V>): void {
    this.listener = listener;
  }

  get(key: K): V | undefined {
    return this.entry(key).value;
  }

  put(key: K, value: V): void {
    this.update(key, value === null ? undefined : value, NO_CONTEXT);
  }

  /** An update (undefined: a delete) whose forwarded record gets `context`'s headers and timestamp. */
  putWithContext(key: K, value: V | undefined, context: CachedContext): void {
    this.update(key, value === null ? undefined : value, context);
  }

  putIfAbsent(key: K, value: V): V | undefined {
    const existing = this.entry(key).value;
    if (existing === undefined) this.put(key, value);
    return existing;
  }

  delete(key: K): V | undefined {
    const existing = this.entry(key).value;
    if (existing !== undefined) this.update(key, undefined, NO_CONTEXT);
    return existing;
  }

  range(from: K | undefined, to: K | undefined): KeyValueIterator<K, V> {
    this.writeThrough();
    return this.inner.range(from, to);
  }

  prefixScan<P>(prefix: P, prefixSerde: Serde<P>): KeyValueIterator<K, V> {
    this.writeThrough();
    return this.inner.prefixScan(prefix, prefixSerde);
  }

  all(): KeyValueIterator<K, V> {
    this.writeThrough();
    return this.inner.all();
  }

  approximateNumEntries(): number {
    return this.inner.approximateNumEntries();
  }

  /** Writes and hands on every dirty entry, in least-recently-updated order; returns how many. */
  flush(): number {
    if (this.dirtyCount === 0) return 0;
    const dirty: CacheEntry<K, V>[] = [];
    for (const e of this.entries.values()) if (e.dirty) dirty.push(e);
    for (const e of dirty) this.emit(e);
    return dirty.length;
  }

  clear(): void {
    this.entries.clear();
    this.dirtyCount = 0;
  }

  // --- the per-record path ---

  private id(key: K): unknown {
    return typeof key === "string" || typeof key === "number" ? key : this.keySerde.serialize(key, this.topic).toString("latin1");
  }

  /** The key's entry, read from the store into the cache (clean) on a miss. */
  private entry(key: K): CacheEntry<K, V> {
    const id = this.id(key);
    let e = this.entries.get(id);
    if (e === undefined) {
      const value = this.inner.get(key);
      e = new CacheEntry<K, V>(key, value, estimateBytes(key) + estimateBytes(value) + ENTRY_OVERHEAD_BYTES);
      this.entries.set(id, e);
      this.task.bytes += e.bytes;
      this.evictIfFull(e);
    }
    return e;
  }

  private update(key: K, value: V | undefined, context: CachedContext): void {
    const id = this.id(key);
    let e = this.entries.get(id);
    if (e === undefined) {
      e = new CacheEntry<K, V>(key, this.inner.get(key), 0);
    } else {
      this.task.bytes -= e.bytes;
      // Least recently updated first: the update moves the entry to the end of the map's order.
      this.entries.delete(id);
    }
    e.value = value;
    e.context = context;
    e.written = false;
    if (!e.dirty) {
      e.dirty = true;
      this.dirtyCount++;
    }
    e.bytes = estimateBytes(key) + estimateBytes(value) + ENTRY_OVERHEAD_BYTES;
    this.entries.set(id, e);
    this.task.bytes += e.bytes;
    this.evictIfFull(e);
  }

  /** Over the task's share: the least recently updated entries of this store leave first (dirty ones are handed on). */
  private evictIfFull(keep: CacheEntry<K, V>): void {
    if (this.task.bytes <= this.task.maxBytes) return;
    for (const [id, e] of this.entries) {
      if (this.task.bytes <= this.task.maxBytes || e === keep) return;
      this.entries.delete(id);
      this.task.bytes -= e.bytes;
      if (e.dirty) this.emit(e);
    }
  }

  /** Writes the entry to the store (unless a scan did) and hands it to the listener; it becomes clean. */
  private emit(e: CacheEntry<K, V>): void {
    const prior = e.prior;
    if (!e.written) this.writeInner(e);
    e.dirty = false;
    e.written = false;
    e.prior = e.value;
    this.dirtyCount--;
    // A key created and deleted between flushes: nothing to tell downstream (Kafka Streams forwards nothing either).
    if (e.value === undefined && prior === undefined) return;
    this.listener?.(e.key, e.value, prior, e.context);
  }

  private writeInner(e: CacheEntry<K, V>): void {
    if (e.value === undefined) this.inner.delete(e.key);
    else this.inner.put(e.key, e.value);
  }

  private writeThrough(): void {
    if (this.dirtyCount === 0) return;
    for (const e of this.entries.values()) {
      if (e.dirty && !e.written) {
        this.writeInner(e);
        e.written = true;
      }
    }
  }
}

/**
 * The approximate bytes of a key or value, without serializing it (Kafka Streams counts serialized bytes;
 * serializing every update to count it would cost what the cache saves). Nested values are walked 3 deep.
 */
export function estimateBytes(value: unknown, depth = 0): number {
  switch (typeof value) {
    case "string":
      return value.length;
    case "number":
    case "bigint":
      return 8;
    case "boolean":
      return 1;
    case "object": {
      if (value === null) return 0;
      if (value instanceof Uint8Array) return value.byteLength;
      if (depth >= 3) return 64;
      let n = 0;
      if (Array.isArray(value)) {
        for (const item of value) n += estimateBytes(item, depth + 1);
        return n + 8;
      }
      for (const k in value) n += k.length + estimateBytes((value as Record<string, unknown>)[k], depth + 1);
      return n + 8;
    }
    default:
      return 0;
  }
}
