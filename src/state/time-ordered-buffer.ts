// The store behind `suppress`: the latest record per key, waiting until its buffer time (a window's close,
// or the record time plus a limit) has passed, then evicted in time order. Rows sit in `buf_<name>` and
// go through the key-value store's write cache and changelog (changelog key = the record's key bytes,
// value = 8-byte buffer time + 8-byte record timestamp + 1 presence byte + the value's bytes), so an
// eviction and the output it produces commit together: a final result is emitted once, across crashes.
// The records are also held in memory, ordered by buffer time, so that finding the due ones reads no table.
// Its size (entries, and bytes = changelog key + value lengths), for buffer limits, is counted in memory too.
import type { Database, Statement } from "better-sqlite3";
import type { Serde } from "../serdes/serde.ts";
import { StateError } from "./errors.ts";
import type { SqliteKeyValueStore } from "./key-value-store.ts";
import type { StoreTable } from "./kv-table.ts";
import type { PackedRows } from "./packed-rows.ts";
import type { CachedStore, StateTransaction } from "./transaction.ts";
import type { KeyValueStoreOptions } from "./types.ts";
import { readInt64, writeInt64 } from "../serdes/int64.ts";

/** A record waiting in the buffer; `value` null is a buffered deletion. */
export interface BufferedRecord<K, V> {
  readonly key: K;
  readonly value: V | null;
  /** The record's own timestamp, which it keeps when emitted. */
  readonly timestamp: number;
  /** When it may leave the buffer: stream time at or past this. */
  readonly time: number;
}

export interface TimeOrderedBuffer<K, V> {
  readonly name: string;
  get(key: K): BufferedRecord<K, V> | undefined;
  /**
   * Holds `record` as its key's latest. A key already held keeps its buffer time (`record.time` counts for a key not
   * held), as in Kafka Streams' suppress buffer: a time limit runs from a key's first buffered update.
   */
  put(record: BufferedRecord<K, V>): void;
  /** Removes the records whose buffer time is ≤ `time` and returns them in time order (then key bytes). */
  evictUpTo(time: number): BufferedRecord<K, V>[];
  /** Removes and returns the record with the earliest buffer time (then key bytes): a full buffer's eviction. */
  evictEarliest(): BufferedRecord<K, V> | undefined;
  /** The records it holds (exact). */
  numRecords(): number;
  /**
   * Its size in bytes: per record, the serialized key plus the 17-byte header (buffer time, timestamp,
   * presence) plus the serialized value, i.e. the length of the record's changelog key and value.
   */
  sizeBytes(): number;
  approximateNumEntries(): number;
}

const HEADER_BYTES = 17;

export function bufferedValueSerde<V>(inner: Serde<V>): Serde<{ time: number; timestamp: number; value: V | null }> {
  return {
    name: `buffered(${inner.name})`,
    serialize(v, topic) {
      const value = v.value === null ? undefined : inner.serialize(v.value, topic);
      const out = Buffer.allocUnsafe(HEADER_BYTES + (value?.length ?? 0));
      writeInt64(out, v.time, 0);
      writeInt64(out, v.timestamp, 8);
      out[16] = value === undefined ? 0 : 1;
      value?.copy(out, HEADER_BYTES);
      return out;
    },
    deserialize(data, topic) {
      return {
        time: readInt64(data, 0),
        timestamp: readInt64(data, 8),
        value: data[16] === 0 ? null : inner.deserialize(data.subarray(HEADER_BYTES), topic),
      };
    },
  };
}

/** `buf_<name>`: rows by key, the buffer time in a column of its own; the buffer finds due rows in memory. */
export class BufferTable implements StoreTable {
  readonly name: string;
  private readonly getStatement: Statement<[Buffer], Buffer>;
  private readonly upsertStatement: Statement<[Buffer, number, Buffer]>;
  private readonly insertStatement: Statement<[Buffer, number, Buffer]>;
  private readonly updateStatement: Statement<[number, Buffer, Buffer]>;
  private readonly deleteStatement: Statement<[Buffer]>;
  private readonly rowsStatement: Statement<[], { key: Buffer; value: Buffer }>;
  private readonly countStatement: Statement<[], number>;

  constructor(db: Database, storeName: string) {
    if (!/^[A-Za-z0-9._-]+$/.test(storeName)) {
      throw new StateError("WEIR_STATE_STORE_INVALID", `store name ${JSON.stringify(storeName)} must match [A-Za-z0-9._-]+`);
    }
    this.name = storeName;
    const t = `"buf_${storeName}"`;
    db.exec(`CREATE TABLE IF NOT EXISTS ${t} (key BLOB PRIMARY KEY, time INTEGER NOT NULL, value BLOB NOT NULL) WITHOUT ROWID`);
    // Weir 0.1 kept an index by time for the due query; the buffer now orders its records in memory.
    db.exec(`DROP INDEX IF EXISTS "buf_${storeName}_time"`);
    this.getStatement = db.prepare<[Buffer], Buffer>(`SELECT value FROM ${t} WHERE key = ?`).pluck();
    this.insertStatement = db.prepare(`INSERT OR IGNORE INTO ${t} (key, time, value) VALUES (?, ?, ?)`);
    this.updateStatement = db.prepare(`UPDATE ${t} SET time = ?, value = ? WHERE key = ?`);
    this.upsertStatement = db.prepare(`INSERT INTO ${t} (key, time, value) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET time = excluded.time, value = excluded.value`);
    this.deleteStatement = db.prepare(`DELETE FROM ${t} WHERE key = ?`);
    this.rowsStatement = db.prepare<[], { key: Buffer; value: Buffer }>(`SELECT key, value FROM ${t}`);
    this.countStatement = db.prepare<[], number>(`SELECT count(*) FROM ${t}`).pluck();
  }

  get(key: Buffer): Buffer | undefined {
    return this.getStatement.get(key);
  }

  /** INSERT first: most of a suppress buffer's writes are a window's first (one statement), not an update (two). */
  write(key: Buffer, value: Buffer): boolean {
    const time = readInt64(value, 0);
    if (this.insertStatement.run(key, time, value).changes > 0) return true;
    this.updateStatement.run(time, value, key);
    return false;
  }

  insert(key: Buffer, value: Buffer): void {
    this.insertStatement.run(key, readInt64(value, 0), value);
  }

  remove(key: Buffer): boolean {
    return this.deleteStatement.run(key).changes > 0;
  }

  upsertPacked(rows: PackedRows): void {
    for (let i = 0; i < rows.count; i++) {
      const value = rows.value(i);
      this.upsertStatement.run(rows.key(i), readInt64(value, 0), value);
    }
  }

  count(): number {
    return this.countStatement.get()!;
  }

  /** Every row, in no particular order (the buffer loads them into memory). */
  rows(): IterableIterator<{ key: Buffer; value: Buffer }> {
    return this.rowsStatement.iterate();
  }

}

type Buffered<V> = { time: number; timestamp: number; value: V | null };

/**
 * A buffered record in memory: its key bytes (as a latin1 id too, whose order is the bytes' order), its buffer
 * time and its row's value bytes, deserialized when it leaves (so that what leaves is what was put, whatever
 * the caller did to its object since, as when it was read back from the table).
 */
interface Pending {
  readonly id: string;
  readonly key: Buffer;
  readonly time: number;
  value: Buffer;
}

function earlier(a: Pending, b: Pending): boolean {
  return a.time < b.time || (a.time === b.time && a.id < b.id);
}

/** A binary min-heap by buffer time, then key bytes: the order records leave the buffer in. */
class EvictionOrder {
  private readonly heap: Pending[] = [];

  push(p: Pending): void {
    const heap = this.heap;
    let i = heap.push(p) - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!earlier(p, heap[parent]!)) break;
      heap[i] = heap[parent]!;
      i = parent;
    }
    heap[i] = p;
  }

  /** The earliest record. */
  peek(): Pending | undefined {
    return this.heap[0];
  }

  pop(): Pending | undefined {
    const heap = this.heap;
    const top = heap[0];
    const last = heap.pop();
    if (top === undefined || last === undefined || heap.length === 0) return top;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= heap.length) break;
      const right = left + 1;
      const child = right < heap.length && earlier(heap[right]!, heap[left]!) ? right : left;
      if (!earlier(heap[child]!, last)) break;
      heap[i] = heap[child]!;
      i = child;
    }
    heap[i] = last;
    return top;
  }
}

/**
 * The buffer's records are kept in memory too, as Kafka Streams keeps its suppress buffer, indexed by key and
 * ordered by buffer time: puts and evictions go through the write cache to SQLite and the changelog as any
 * store's writes, but finding what is due reads no table. The index is loaded from the table when first
 * needed, and again after a rollback or a restore (which change the table behind it).
 */
export class SqliteTimeOrderedBuffer<K, V> implements TimeOrderedBuffer<K, V>, CachedStore {
  readonly name: string;
  private readonly keySerde: Serde<K>;
  private readonly valueSerde: Serde<Buffered<V>>;
  private readonly topic: string;
  private readonly rows: SqliteKeyValueStore<Buffer, Buffered<V>>;
  private readonly table: BufferTable;
  private readonly tx: StateTransaction;
  /** The records by key id; undefined = load it from the table. */
  private pending: Map<string, Pending> | undefined;
  private order = new EvictionOrder();
  /** The records' key + value bytes (the length of their changelog records), for buffer limits. */
  private bytes = 0;

  constructor(options: KeyValueStoreOptions<K, V>, rows: SqliteKeyValueStore<Buffer, Buffered<V>>, table: BufferTable, tx: StateTransaction) {
    this.name = options.name;
    this.keySerde = options.keySerde;
    this.valueSerde = bufferedValueSerde(options.valueSerde);
    this.topic = options.changelogTopic;
    this.rows = rows;
    this.table = table;
    this.tx = tx;
  }

  get(key: K): BufferedRecord<K, V> | undefined {
    const found = this.held(key, "get");
    return found === undefined ? undefined : { key, ...this.valueSerde.deserialize(found.value, this.topic) };
  }

  private held(key: K, operation: string): Pending | undefined {
    this.tx.assertReadable(operation);
    return this.index().get(this.keySerde.serialize(key, this.topic).toString("latin1"));
  }

  put(record: BufferedRecord<K, V>): void {
    this.tx.assertReadable("put");
    const pending = this.index();
    const key = this.keySerde.serialize(record.key, this.topic);
    const id = key.toString("latin1");
    const old = pending.get(id);
    const buffered = { time: old === undefined ? record.time : old.time, timestamp: record.timestamp, value: record.value };
    const value = this.valueSerde.serialize(buffered, this.topic);
    this.rows.putSerialized(key, buffered, value);
    if (old !== undefined) {
      this.bytes += value.length - old.value.length;
      old.value = value;
      return;
    }
    this.bytes += key.length + value.length;
    const p: Pending = { id, key, time: record.time, value };
    pending.set(id, p);
    this.order.push(p);
  }

  evictUpTo(time: number): BufferedRecord<K, V>[] {
    this.tx.assertReadable("evictUpTo");
    this.index();
    const out: BufferedRecord<K, V>[] = [];
    for (let p = this.order.peek(); p !== undefined && p.time <= time; p = this.order.peek()) {
      this.order.pop();
      out.push(this.remove(p));
    }
    return out;
  }

  evictEarliest(): BufferedRecord<K, V> | undefined {
    this.tx.assertReadable("evictEarliest");
    this.index();
    const p = this.order.peek();
    if (p === undefined) return undefined;
    this.order.pop();
    return this.remove(p);
  }

  numRecords(): number {
    this.tx.assertReadable("size");
    return this.index().size;
  }

  sizeBytes(): number {
    this.tx.assertReadable("size");
    this.index();
    return this.bytes;
  }

  private remove(p: Pending): BufferedRecord<K, V> {
    this.pending!.delete(p.id);
    this.rows.deleteStored(p.key);
    this.bytes -= p.key.length + p.value.length;
    return { key: this.keySerde.deserialize(p.key, this.topic), ...this.valueSerde.deserialize(p.value, this.topic) };
  }

  /**
   * The records in memory, loaded from the table when missing. The table then holds every record: all writes
   * go through put() and remove(), which load it first, and a rollback or restore empties the write cache.
   */
  private index(): Map<string, Pending> {
    if (this.pending !== undefined) return this.pending;
    const pending = new Map<string, Pending>();
    this.order = new EvictionOrder();
    this.bytes = 0;
    for (const row of this.table.rows()) {
      const id = row.key.toString("latin1");
      const p: Pending = { id, key: row.key, time: readInt64(row.value, 0), value: row.value };
      pending.set(id, p);
      this.order.push(p);
      this.bytes += row.key.length + row.value.length;
    }
    this.pending = pending;
    return pending;
  }

  approximateNumEntries(): number {
    return this.rows.approximateNumEntries();
  }

  // --- CachedStore: the index is what the table holds plus the writes since (which the write cache holds) ---
  flushDirty(): void {}
  clearCache(): void {}
  committed(): void {}
  rolledBack(): void {
    this.forget();
  }

  /** A restore wrote the table. */
  restored(): void {
    this.forget();
  }

  private forget(): void {
    this.pending = undefined;
    this.order = new EvictionOrder();
  }
}
