// The store behind `suppress`: the latest record per key, waiting until its buffer time (a window's close,
// or the record time plus a limit) has passed, then evicted in time order. Rows sit in `buf_<name>` and
// go through the key-value store's write cache and changelog (changelog key = the record's key bytes,
// value = 8-byte buffer time + 8-byte record timestamp + 1 presence byte + the value's bytes), so an
// eviction and the output it produces commit together: a final result is emitted once, across crashes.
// Its size (entries, and bytes = changelog key + value lengths) is derived from the table, for buffer limits.
import type { Database, Statement } from "better-sqlite3";
import type { Serde } from "../serdes/serde.ts";
import { StateError } from "./errors.ts";
import type { SqliteKeyValueStore } from "./key-value-store.ts";
import type { StoreTable } from "./kv-table.ts";
import type { CachedStore, StateTransaction } from "./transaction.ts";
import type { KeyValueStoreOptions } from "./types.ts";
import { SCAN_PAGE_ROWS } from "./windowed-table.ts";
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

/** `buf_<name>`: rows by key, with the buffer time in a column of its own for eviction in time order. */
export class BufferTable implements StoreTable {
  readonly name: string;
  private readonly getStatement: Statement<[Buffer], Buffer>;
  private readonly upsertStatement: Statement<[Buffer, number, Buffer]>;
  private readonly insertStatement: Statement<[Buffer, number, Buffer]>;
  private readonly updateStatement: Statement<[number, Buffer, Buffer]>;
  private readonly deleteStatement: Statement<[Buffer]>;
  private readonly dueStatement: Statement<[number, number], { key: Buffer; value: Buffer }>;
  private readonly minStatement: Statement<[], number | null>;
  private readonly countStatement: Statement<[], number>;
  private readonly sizeStatement: Statement<[], { records: number; bytes: number }>;

  constructor(db: Database, storeName: string) {
    if (!/^[A-Za-z0-9._-]+$/.test(storeName)) {
      throw new StateError("WEIR_STATE_STORE_INVALID", `store name ${JSON.stringify(storeName)} must match [A-Za-z0-9._-]+`);
    }
    this.name = storeName;
    const t = `"buf_${storeName}"`;
    db.exec(`CREATE TABLE IF NOT EXISTS ${t} (key BLOB PRIMARY KEY, time INTEGER NOT NULL, value BLOB NOT NULL) WITHOUT ROWID`);
    db.exec(`CREATE INDEX IF NOT EXISTS "buf_${storeName}_time" ON ${t} (time, key)`);
    this.getStatement = db.prepare<[Buffer], Buffer>(`SELECT value FROM ${t} WHERE key = ?`).pluck();
    this.insertStatement = db.prepare(`INSERT OR IGNORE INTO ${t} (key, time, value) VALUES (?, ?, ?)`);
    this.updateStatement = db.prepare(`UPDATE ${t} SET time = ?, value = ? WHERE key = ?`);
    this.upsertStatement = db.prepare(`INSERT INTO ${t} (key, time, value) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET time = excluded.time, value = excluded.value`);
    this.deleteStatement = db.prepare(`DELETE FROM ${t} WHERE key = ?`);
    this.dueStatement = db.prepare<[number, number], { key: Buffer; value: Buffer }>(`SELECT key, value FROM ${t} WHERE time <= ? ORDER BY time, key LIMIT ?`);
    this.minStatement = db.prepare<[], number | null>(`SELECT min(time) FROM ${t}`).pluck();
    this.countStatement = db.prepare<[], number>(`SELECT count(*) FROM ${t}`).pluck();
    this.sizeStatement = db.prepare<[], { records: number; bytes: number }>(`SELECT count(*) AS records, coalesce(sum(length(key) + length(value)), 0) AS bytes FROM ${t}`);
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

  upsertMany(keys: readonly Buffer[], values: readonly Buffer[]): void {
    for (let i = 0; i < keys.length; i++) this.upsertStatement.run(keys[i]!, readInt64(values[i]!, 0), values[i]!);
  }

  count(): number {
    return this.countStatement.get()!;
  }

  due(time: number, limit: number = SCAN_PAGE_ROWS): { key: Buffer; value: Buffer }[] {
    return this.dueStatement.all(time, limit);
  }

  /** Rows and their key + value bytes. */
  size(): { records: number; bytes: number } {
    return this.sizeStatement.get()!;
  }

  minTime(): number | undefined {
    return this.minStatement.get() ?? undefined;
  }
}

type Buffered<V> = { time: number; timestamp: number; value: V | null };

export class SqliteTimeOrderedBuffer<K, V> implements TimeOrderedBuffer<K, V>, CachedStore {
  readonly name: string;
  private readonly keySerde: Serde<K>;
  private readonly valueSerde: Serde<Buffered<V>>;
  private readonly topic: string;
  private readonly rows: SqliteKeyValueStore<Buffer, Buffered<V>>;
  private readonly table: BufferTable;
  private readonly tx: StateTransaction;
  /** The earliest buffer time, so that most records cost no query; undefined = read it from the table. */
  private earliest: number | undefined;
  /**
   * Records and bytes, once asked for (a bounded suppress): counted from the table, then kept up to date by
   * put and evictions; undefined = count again (after open, restore, rollback or a cache drop).
   */
  private size: { records: number; bytes: number } | undefined;

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
    this.tx.assertReadable("get");
    const found = this.rows.get(this.keySerde.serialize(key, this.topic));
    return found === undefined ? undefined : { key, ...found };
  }

  put(record: BufferedRecord<K, V>): void {
    this.tx.assertReadable("put");
    const key = this.keySerde.serialize(record.key, this.topic);
    const buffered = { time: record.time, timestamp: record.timestamp, value: record.value };
    if (this.size !== undefined) {
      const old = this.rows.get(key);
      if (old === undefined) this.size.records++;
      else this.size.bytes -= key.length + this.valueSerde.serialize(old, this.topic).length;
      this.size.bytes += key.length + this.valueSerde.serialize(buffered, this.topic).length;
    }
    this.rows.put(key, buffered);
    if (this.earliest !== undefined && record.time < this.earliest) this.earliest = record.time;
  }

  evictUpTo(time: number): BufferedRecord<K, V>[] {
    this.tx.assertReadable("evictUpTo");
    this.earliest ??= this.minTimeFlushed();
    if (this.earliest === Number.POSITIVE_INFINITY || this.earliest > time) return [];
    const out: BufferedRecord<K, V>[] = [];
    for (;;) {
      // The deletions of the previous page reach SQLite before the next page is read (this store's only: the
      // query reads no other table, and flushing them all made every window close write the whole cache).
      this.tx.flushStore(this.rows, "evict");
      const due = this.table.due(time);
      for (const row of due) out.push(this.removeRow(row));
      if (due.length < SCAN_PAGE_ROWS) break;
    }
    this.earliest = this.minTimeFlushed();
    return out;
  }

  evictEarliest(): BufferedRecord<K, V> | undefined {
    this.tx.assertReadable("evictEarliest");
    this.tx.flushStore(this.rows, "evict");
    const row = this.table.due(Number.MAX_SAFE_INTEGER, 1)[0];
    if (row === undefined) return undefined;
    const out = this.removeRow(row);
    this.earliest = undefined;
    return out;
  }

  numRecords(): number {
    return this.counted().records;
  }

  sizeBytes(): number {
    return this.counted().bytes;
  }

  private counted(): { records: number; bytes: number } {
    this.tx.assertReadable("size");
    if (this.size === undefined) {
      this.tx.flushStore(this.rows, "size");
      this.size = { ...this.table.size() };
    }
    return this.size;
  }

  private removeRow(row: { key: Buffer; value: Buffer }): BufferedRecord<K, V> {
    const buffered = this.valueSerde.deserialize(row.value, this.topic);
    this.rows.deleteStored(row.key);
    if (this.size !== undefined) {
      this.size.records--;
      this.size.bytes -= row.key.length + row.value.length;
    }
    return { key: this.keySerde.deserialize(row.key, this.topic), ...buffered };
  }

  approximateNumEntries(): number {
    return this.rows.approximateNumEntries();
  }

  private minTimeFlushed(): number {
    this.tx.flushStore(this.rows, "evict");
    return this.table.minTime() ?? Number.POSITIVE_INFINITY;
  }

  // --- CachedStore: `earliest` is derived from the table ---
  flushDirty(): void {}
  clearCache(): void {
    this.earliest = undefined;
    this.size = undefined;
  }
  committed(): void {}
  rolledBack(): void {
    this.earliest = undefined;
    this.size = undefined;
  }
}
