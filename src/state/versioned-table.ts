// The SQLite table of a versioned key-value store (`ver_<name>`: key, valid_from). Rows are addressed by
// their changelog key, the key's bytes followed by the version's 8-byte big-endian timestamp, so the write
// cache, the changelog and restore treat every version as its own key-value row; queries by time use the
// columns. A row's value is one flag byte (1 = a value, 0 = a tombstone with a timestamp) then the value.
import type { Database, Statement } from "better-sqlite3";
import { StateError } from "./errors.ts";
import type { StoreTable } from "./kv-table.ts";
import type { PackedRows } from "./packed-rows.ts";
import { readInt64, writeInt64 } from "../serdes/int64.ts";

const STORE_NAME = /^[A-Za-z0-9._-]+$/;
const TIME_BYTES = 8;

export const VERSION_VALUE = 1;
export const VERSION_TOMBSTONE = 0;

export function versionKey(key: Buffer, validFrom: number): Buffer {
  const out = Buffer.allocUnsafe(key.length + TIME_BYTES);
  key.copy(out);
  writeInt64(out, validFrom, key.length);
  return out;
}

/** One version as stored: its start of validity and its flagged value bytes. */
export interface VersionRow {
  readonly validFrom: number;
  readonly value: Buffer;
}

/** A version to expire: the key's bytes and the version's timestamp. */
export interface ExpiredVersion {
  readonly key: Buffer;
  readonly validFrom: number;
}

export class VersionedTable implements StoreTable {
  readonly name: string;
  private readonly getStatement: Statement<[Buffer, number], Buffer>;
  private readonly updateStatement: Statement<[Buffer, Buffer, number]>;
  private readonly insertStatement: Statement<[Buffer, number, Buffer]>;
  private readonly deleteStatement: Statement<[Buffer, number]>;
  private readonly floorStatement: Statement<[Buffer, number], VersionRow>;
  private readonly nextStatement: Statement<[Buffer, number], number>;
  private readonly latestStatement: Statement<[Buffer], VersionRow>;
  private readonly expiredOfKeyStatement: Statement<[Buffer, number, number, Buffer, number], number>;
  private readonly expiredStatement: Statement<[number, number, number], ExpiredVersion>;
  private readonly maxTimeStatement: Statement<[], number | null>;
  private readonly countStatement: Statement<[], number>;

  /** Creates the table if the file has none yet. */
  constructor(db: Database, storeName: string) {
    if (!STORE_NAME.test(storeName)) {
      throw new StateError("WEIR_STATE_STORE_INVALID", `store name ${JSON.stringify(storeName)} must match [A-Za-z0-9._-]+`);
    }
    this.name = storeName;
    const t = `"ver_${storeName}"`;
    db.exec(`CREATE TABLE IF NOT EXISTS ${t} (key BLOB NOT NULL, valid_from INTEGER NOT NULL, value BLOB NOT NULL, PRIMARY KEY (key, valid_from)) WITHOUT ROWID`);
    this.getStatement = db.prepare<[Buffer, number], Buffer>(`SELECT value FROM ${t} WHERE key = ? AND valid_from = ?`).pluck();
    this.updateStatement = db.prepare(`UPDATE ${t} SET value = ? WHERE key = ? AND valid_from = ?`);
    this.insertStatement = db.prepare(`INSERT INTO ${t} (key, valid_from, value) VALUES (?, ?, ?)`);
    this.deleteStatement = db.prepare(`DELETE FROM ${t} WHERE key = ? AND valid_from = ?`);
    this.floorStatement = db.prepare<[Buffer, number], VersionRow>(
      `SELECT valid_from AS validFrom, value FROM ${t} WHERE key = ? AND valid_from <= ? ORDER BY valid_from DESC LIMIT 1`,
    );
    this.nextStatement = db.prepare<[Buffer, number], number>(`SELECT valid_from FROM ${t} WHERE key = ? AND valid_from > ? ORDER BY valid_from LIMIT 1`).pluck();
    this.latestStatement = db.prepare<[Buffer], VersionRow>(`SELECT valid_from AS validFrom, value FROM ${t} WHERE key = ? ORDER BY valid_from DESC LIMIT 1`);
    // A key's versions no query can reach once `cutoff` is the oldest time still answered: those before the
    // version valid at the cutoff, and that version itself when it is a tombstone older than the cutoff.
    const floor = (outer: string, cutoff: string) => `(SELECT max(b.valid_from) FROM ${t} b WHERE b.key = ${outer}.key AND b.valid_from <= ${cutoff})`;
    this.expiredOfKeyStatement = db.prepare<[Buffer, number, number, Buffer, number], number>(
      `SELECT a.valid_from FROM ${t} a WHERE a.key = ? AND (a.valid_from < ${floor("a", "?")} OR (a.valid_from < ? AND substr(a.value, 1, 1) = x'00' AND a.valid_from = (SELECT max(c.valid_from) FROM ${t} c WHERE c.key = ? AND c.valid_from <= ?)))`,
    ).pluck();
    this.expiredStatement = db.prepare<[number, number, number], ExpiredVersion>(
      `SELECT a.key AS key, a.valid_from AS validFrom FROM ${t} a WHERE a.valid_from < ${floor("a", "?")} OR (a.valid_from < ? AND substr(a.value, 1, 1) = x'00' AND a.valid_from = ${floor("a", "?")})`,
    );
    this.maxTimeStatement = db.prepare<[], number | null>(`SELECT max(valid_from) FROM ${t}`).pluck();
    this.countStatement = db.prepare<[], number>(`SELECT count(*) FROM ${t}`).pluck();
  }

  // --- StoreTable: rows by changelog key ---

  get(k: Buffer): Buffer | undefined {
    const [key, validFrom] = this.split(k);
    return this.getStatement.get(key, validFrom);
  }

  write(k: Buffer, value: Buffer): boolean {
    const [key, validFrom] = this.split(k);
    if (this.updateStatement.run(value, key, validFrom).changes > 0) return false;
    this.insertStatement.run(key, validFrom, value);
    return true;
  }

  insert(k: Buffer, value: Buffer): void {
    const [key, validFrom] = this.split(k);
    this.insertStatement.run(key, validFrom, value);
  }

  remove(k: Buffer): boolean {
    const [key, validFrom] = this.split(k);
    return this.deleteStatement.run(key, validFrom).changes > 0;
  }

  upsertPacked(rows: PackedRows): void {
    for (let i = 0; i < rows.count; i++) this.write(rows.key(i), rows.value(i));
  }

  count(): number {
    return this.countStatement.get()!;
  }

  // --- queries by time ---

  /** The version of `key` valid at `time`: the one with the largest timestamp ≤ time. */
  floor(key: Buffer, time: number): VersionRow | undefined {
    return this.floorStatement.get(key, time);
  }

  /** The timestamp of the first version of `key` after `time` (the end of validity of the version at `time`). */
  nextAfter(key: Buffer, time: number): number | undefined {
    return this.nextStatement.get(key, time) ?? undefined;
  }

  latest(key: Buffer): VersionRow | undefined {
    return this.latestStatement.get(key);
  }

  /** The timestamps of `key`'s versions that no query at or after `cutoff` can reach. */
  expiredVersionsOf(key: Buffer, cutoff: number): number[] {
    return this.expiredOfKeyStatement.all(key, cutoff, cutoff, key, cutoff);
  }

  /** Every key's versions that no query at or after `cutoff` can reach. */
  expiredVersions(cutoff: number): ExpiredVersion[] {
    return this.expiredStatement.all(cutoff, cutoff, cutoff);
  }

  /** The largest version timestamp held: the store's stream time; undefined when empty. */
  maxTimestamp(): number | undefined {
    return this.maxTimeStatement.get() ?? undefined;
  }

  private split(k: Buffer): [Buffer, number] {
    if (k.length < TIME_BYTES) {
      throw new StateError("WEIR_STATE_STORE_INVALID", `a versioned store key of ${this.name} needs at least ${TIME_BYTES} bytes, got ${k.length}`);
    }
    const keyEnd = k.length - TIME_BYTES;
    return [k.subarray(0, keyEnd), readInt64(k, keyEnd)];
  }
}
