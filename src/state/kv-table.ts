// The SQLite table of one key-value store (`kv_<name>`) and its prepared statements. Knows nothing of
// serdes, caches or changelogs: bytes in, bytes out, in key order.
import type { Database, Statement } from "better-sqlite3";
import { StateError } from "./errors.ts";
import { PACKED_ROWS_PER_WRITE, type PackedRows } from "./packed-rows.ts";

const STORE_NAME = /^[A-Za-z0-9._-]+$/;

export type KeyValueRow = [key: Buffer, value: Buffer];

/**
 * What the write cache, the changelog and restore need of a table: rows addressed by the bytes of their
 * changelog key. The key-value table stores those bytes as they are; window, session and buffer tables
 * split them into columns they can query by time.
 */
export interface StoreTable {
  readonly name: string;
  get(key: Buffer): Buffer | undefined;
  /** Returns true when the key is new. */
  write(key: Buffer, value: Buffer): boolean;
  /** Stores a key the caller knows the table does not have (it read it and found none): one statement, not two. */
  insert(key: Buffer, value: Buffer): void;
  remove(key: Buffer): boolean;
  /** Upserts `rows` (restore: in key order, each key once). */
  upsertPacked(rows: PackedRows): void;
  count(): number;
}

export class KeyValueTable implements StoreTable {
  readonly name: string;
  private readonly db: Database;
  private readonly quoted: string;
  private readonly getStatement: Statement<[Buffer], Buffer>;
  private readonly updateStatement: Statement<[Buffer, Buffer]>;
  private readonly insertStatement: Statement<[Buffer, Buffer]>;
  private readonly deleteStatement: Statement<[Buffer]>;
  private readonly upsertStatement: Statement<[Buffer, Buffer]>;
  /**
   * PACKED_ROWS_PER_WRITE rows in one statement: each key and value a substr() of one blob holding those rows'
   * bytes (`@rows`), at the 1-based positions and lengths bound in `bulkParams` (numbers, which bind without
   * an object per row).
   */
  private bulkUpsertStatement: Statement<[number[], { rows: Buffer }]> | undefined;
  private readonly bulkParams = new Array<number>(4 * PACKED_ROWS_PER_WRITE);
  private readonly pageStatement: Statement<[Buffer, number], KeyValueRow>;
  private readonly pageToStatement: Statement<[Buffer, Buffer, number], KeyValueRow>;
  private readonly pageBeforeStatement: Statement<[Buffer, Buffer, number], KeyValueRow>;
  private readonly countStatement: Statement<[], number>;

  /** Creates the store's table if the file has none yet. */
  constructor(db: Database, storeName: string) {
    if (!STORE_NAME.test(storeName)) {
      throw new StateError("WEIR_STATE_STORE_INVALID", `store name ${JSON.stringify(storeName)} must match [A-Za-z0-9._-]+`);
    }
    this.name = storeName;
    this.db = db;
    // The name is checked above, so it cannot contain a quote.
    const t = `"kv_${storeName}"`;
    this.quoted = t;
    db.exec(`CREATE TABLE IF NOT EXISTS ${t} (key BLOB PRIMARY KEY, value BLOB NOT NULL) WITHOUT ROWID`);
    this.getStatement = db.prepare<[Buffer], Buffer>(`SELECT value FROM ${t} WHERE key = ?`).pluck();
    this.updateStatement = db.prepare(`UPDATE ${t} SET value = ? WHERE key = ?`);
    this.insertStatement = db.prepare(`INSERT INTO ${t} (key, value) VALUES (?, ?)`);
    this.deleteStatement = db.prepare(`DELETE FROM ${t} WHERE key = ?`);
    this.upsertStatement = db.prepare(`INSERT INTO ${t} (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`);
    const select = `SELECT key, value FROM ${t} WHERE key >= ?`;
    this.pageStatement = db.prepare<[Buffer, number], KeyValueRow>(`${select} ORDER BY key LIMIT ?`).raw();
    this.pageToStatement = db.prepare<[Buffer, Buffer, number], KeyValueRow>(`${select} AND key <= ? ORDER BY key LIMIT ?`).raw();
    this.pageBeforeStatement = db.prepare<[Buffer, Buffer, number], KeyValueRow>(`${select} AND key < ? ORDER BY key LIMIT ?`).raw();
    this.countStatement = db.prepare<[], number>(`SELECT count(*) FROM ${t}`).pluck();
  }

  get(key: Buffer): Buffer | undefined {
    return this.getStatement.get(key);
  }

  /** Stores `value` under `key`; returns true when the key is new. UPDATE first, as most writes update. */
  write(key: Buffer, value: Buffer): boolean {
    if (this.updateStatement.run(value, key).changes > 0) return false;
    this.insertStatement.run(key, value);
    return true;
  }

  insert(key: Buffer, value: Buffer): void {
    this.insertStatement.run(key, value);
  }

  /** Removes `key`; returns true when it was there. */
  remove(key: Buffer): boolean {
    return this.deleteStatement.run(key).changes > 0;
  }

  /**
   * Upserts many rows, fastest when they come sorted by key and hold no key twice. Does not say which
   * keys were new; the caller recounts when it needs to.
   */
  upsertPacked(rows: PackedRows): void {
    // SQLite's substr() of a zero-length blob is NULL, not an empty blob: rows with no bytes at all go one by one.
    if (rows.count !== PACKED_ROWS_PER_WRITE || rows.used === 0) {
      for (let i = 0; i < rows.count; i++) this.upsertStatement.run(rows.key(i), rows.value(i));
      return;
    }
    const row = "(substr(@rows, ?, ?), substr(@rows, ?, ?))";
    const bulk = (this.bulkUpsertStatement ??= this.db.prepare<[number[], { rows: Buffer }]>(
      `INSERT INTO ${this.quoted} (key, value) VALUES ${`${row}, `.repeat(PACKED_ROWS_PER_WRITE - 1)}${row} ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
    ));
    const params = this.bulkParams;
    for (let i = 0; i < PACKED_ROWS_PER_WRITE; i++) {
      params[4 * i] = rows.keyStart(i) + 1;
      params[4 * i + 1] = rows.keyLength(i);
      params[4 * i + 2] = rows.valueStart(i) + 1;
      params[4 * i + 3] = rows.valueLength(i);
    }
    // better-sqlite3 copies a bound blob (SQLITE_TRANSIENT): bind only these rows' bytes.
    bulk.run(params, { rows: rows.bytes.subarray(0, rows.used) });
  }

  /**
   * Up to `limit` rows with key ≥ `from`, in key order, below `to` (inclusive or not; undefined = no
   * bound). Iterators read page by page so that no statement stays open between pages: better-sqlite3
   * refuses every other statement while one is being iterated, and an iterator a caller abandons would
   * otherwise block the file.
   */
  page(from: Buffer, to: Buffer | undefined, toInclusive: boolean, limit: number): KeyValueRow[] {
    if (to === undefined) return this.pageStatement.all(from, limit);
    return (toInclusive ? this.pageToStatement : this.pageBeforeStatement).all(from, to, limit);
  }

  /** A full count: O(rows), so callers cache it. */
  count(): number {
    return this.countStatement.get()!;
  }
}
