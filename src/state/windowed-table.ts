// The SQLite tables of window stores (`win_<name>`: key, window start) and session stores (`ses_<name>`:
// key, session start, session end). Rows are addressed by their changelog key, Kafka Streams' layout:
// the key's bytes followed by the 8-byte big-endian start (and, for sessions, the 8-byte end), so the
// write cache, the changelog and restore treat them like key-value rows; queries by time use the columns.
import type { Database, Statement } from "better-sqlite3";
import { StateError } from "./errors.ts";
import type { StoreTable } from "./kv-table.ts";
import type { PackedRows } from "./packed-rows.ts";
import { readInt64, writeInt64 } from "../serdes/int64.ts";

const STORE_NAME = /^[A-Za-z0-9._-]+$/;
const TIME_BYTES = 8;
/** Rows a full scan reads at a time, so that no statement stays open while the caller writes. */
export const SCAN_PAGE_ROWS = 512;

export type WindowedLayout = "window" | "session";

export function windowKey(key: Buffer, start: number): Buffer {
  const out = Buffer.allocUnsafe(key.length + TIME_BYTES);
  key.copy(out);
  writeInt64(out, start, key.length);
  return out;
}

export function sessionKey(key: Buffer, start: number, end: number): Buffer {
  const out = Buffer.allocUnsafe(key.length + 2 * TIME_BYTES);
  key.copy(out);
  writeInt64(out, start, key.length);
  writeInt64(out, end, key.length + TIME_BYTES);
  return out;
}

/** A window store's value: the largest record timestamp in the window (8 bytes), then the aggregate's bytes. */
export function timestampOfValue(value: Buffer): number {
  return readInt64(value, 0);
}

/** One row as stored: the key's bytes, the window, and the value's bytes. */
export interface WindowedRow {
  readonly key: Buffer;
  readonly start: number;
  /** The session's end; for a window store, the window start (the store adds the size). */
  readonly end: number;
  readonly value: Buffer;
}

interface RawRow {
  key: Buffer;
  start: number;
  end: number;
  value: Buffer;
}

export class WindowedTable implements StoreTable {
  readonly name: string;
  readonly layout: WindowedLayout;
  private readonly suffix: number;
  private readonly getStatement: Statement<[Buffer, number, number], Buffer>;
  private readonly insertStatement: Statement<[Buffer, number, number, Buffer, number]>;
  private readonly updateStatement: Statement<[Buffer, number, Buffer, number, number]>;
  private readonly deleteStatement: Statement<[Buffer, number, number]>;
  private readonly keyRangeStatement: Statement<[Buffer, number, number], RawRow>;
  private readonly scanFirstStatement: Statement<[number, number, number], RawRow>;
  private readonly scanNextStatement: Statement<[Buffer, number, number, number, number, number], RawRow>;
  private readonly expireStatement: Statement<[number]>;
  private readonly maxTimeStatement: Statement<[], number | null>;
  private readonly countStatement: Statement<[], number>;

  /** Creates the table and its time index if the file has none yet. */
  constructor(db: Database, storeName: string, layout: WindowedLayout) {
    if (!STORE_NAME.test(storeName)) {
      throw new StateError("WEIR_STATE_STORE_INVALID", `store name ${JSON.stringify(storeName)} must match [A-Za-z0-9._-]+`);
    }
    this.name = storeName;
    this.layout = layout;
    this.suffix = layout === "window" ? TIME_BYTES : 2 * TIME_BYTES;
    // A window store keeps `ts`, the largest record timestamp of each window, in a column: the store's
    // stream time after a restart is its maximum. For sessions the end is that timestamp.
    const t = layout === "window" ? `"win_${storeName}"` : `"ses_${storeName}"`;
    const time = layout === "window" ? "ts" : "window_end";
    db.exec(
      `CREATE TABLE IF NOT EXISTS ${t} (key BLOB NOT NULL, window_start INTEGER NOT NULL, window_end INTEGER NOT NULL, ts INTEGER NOT NULL, value BLOB NOT NULL, PRIMARY KEY (key, window_start, window_end)) WITHOUT ROWID`,
    );
    // Expiry deletes by window start (windows) or session end (sessions), as Kafka Streams' segments do.
    const expiryColumn = layout === "window" ? "window_start" : "window_end";
    db.exec(`CREATE INDEX IF NOT EXISTS "${t.slice(1, -1)}_expiry" ON ${t} (${expiryColumn})`);
    const cols = "key, window_start AS start, window_end AS end, value";
    this.getStatement = db.prepare<[Buffer, number, number], Buffer>(`SELECT value FROM ${t} WHERE key = ? AND window_start = ? AND window_end = ?`).pluck();
    this.insertStatement = db.prepare(`INSERT INTO ${t} (key, window_start, window_end, value, ts) VALUES (?, ?, ?, ?, ?)`);
    this.updateStatement = db.prepare(`UPDATE ${t} SET value = ?, ts = ? WHERE key = ? AND window_start = ? AND window_end = ?`);
    this.deleteStatement = db.prepare(`DELETE FROM ${t} WHERE key = ? AND window_start = ? AND window_end = ?`);
    // Windows: start between the bounds. Sessions: end ≥ the first bound and start ≤ the second (findSessions).
    const keyRange =
      layout === "window"
        ? `SELECT ${cols} FROM ${t} WHERE key = ? AND window_start >= ? AND window_start <= ? ORDER BY window_start`
        : `SELECT ${cols} FROM ${t} WHERE key = ? AND window_end >= ? AND window_start <= ? ORDER BY window_start, window_end`;
    this.keyRangeStatement = db.prepare<[Buffer, number, number], RawRow>(keyRange);
    const timeFilter = layout === "window" ? "window_start >= ? AND window_start <= ?" : "window_end >= ? AND window_end <= ?";
    this.scanFirstStatement = db.prepare<[number, number, number], RawRow>(
      `SELECT ${cols} FROM ${t} WHERE ${timeFilter} ORDER BY key, window_start, window_end LIMIT ?`,
    );
    this.scanNextStatement = db.prepare<[Buffer, number, number, number, number, number], RawRow>(
      `SELECT ${cols} FROM ${t} WHERE (key, window_start, window_end) > (?, ?, ?) AND ${timeFilter} ORDER BY key, window_start, window_end LIMIT ?`,
    );
    this.expireStatement = db.prepare(`DELETE FROM ${t} WHERE ${expiryColumn} < ?`);
    this.maxTimeStatement = db.prepare<[], number | null>(`SELECT max(${time}) FROM ${t}`).pluck();
    this.countStatement = db.prepare<[], number>(`SELECT count(*) FROM ${t}`).pluck();
  }

  // --- StoreTable: rows by changelog key ---

  get(k: Buffer): Buffer | undefined {
    const [key, start, end] = this.split(k);
    return this.getStatement.get(key, start, end);
  }

  write(k: Buffer, value: Buffer): boolean {
    const [key, start, end] = this.split(k);
    const ts = this.layout === "window" ? timestampOfValue(value) : end;
    if (this.updateStatement.run(value, ts, key, start, end).changes > 0) return false;
    this.insertStatement.run(key, start, end, value, ts);
    return true;
  }

  insert(k: Buffer, value: Buffer): void {
    const [key, start, end] = this.split(k);
    this.insertStatement.run(key, start, end, value, this.layout === "window" ? timestampOfValue(value) : end);
  }

  remove(k: Buffer): boolean {
    const [key, start, end] = this.split(k);
    return this.deleteStatement.run(key, start, end).changes > 0;
  }

  upsertPacked(rows: PackedRows): void {
    for (let i = 0; i < rows.count; i++) this.write(rows.key(i), rows.value(i));
  }

  count(): number {
    return this.countStatement.get()!;
  }

  // --- queries by time ---

  /** Rows of one key: windows whose start is in [from, to], or sessions with end ≥ from and start ≤ to. */
  fetchKey(key: Buffer, from: number, to: number): WindowedRow[] {
    return this.keyRangeStatement.all(key, from, to);
  }

  /**
   * Up to SCAN_PAGE_ROWS rows ordered by key and window, with start (windows) or end (sessions) in
   * [from, to], after the row `after` when given.
   */
  scanPage(from: number, to: number, after: WindowedRow | undefined): WindowedRow[] {
    if (after === undefined) return this.scanFirstStatement.all(from, to, SCAN_PAGE_ROWS);
    return this.scanNextStatement.all(after.key, after.start, after.end, from, to, SCAN_PAGE_ROWS);
  }

  /** Deletes windows that start (sessions that end) before `time`; returns how many. */
  expireBefore(time: number): number {
    return this.expireStatement.run(time).changes;
  }

  /** The largest record timestamp held (a window's `ts`, a session's end), or undefined when empty. */
  maxTimestamp(): number | undefined {
    return this.maxTimeStatement.get() ?? undefined;
  }

  /** Key bytes, start and end (a window row's end column repeats its start) of a changelog key. */
  private split(k: Buffer): [Buffer, number, number] {
    if (k.length < this.suffix) {
      throw new StateError("WEIR_STATE_STORE_INVALID", `a ${this.layout} store key of ${this.name} needs at least ${this.suffix} bytes, got ${k.length}`);
    }
    const keyEnd = k.length - this.suffix;
    const start = readInt64(k, keyEnd);
    const end = this.layout === "window" ? start : readInt64(k, keyEnd + TIME_BYTES);
    return [k.subarray(0, keyEnd), start, end];
  }
}
