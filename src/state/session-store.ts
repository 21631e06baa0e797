// A typed session store on its table in the task's state file: the key-value store's write cache and
// changelog carry the rows (changelog key = key bytes + 8-byte start + 8-byte end); session lookups by
// time go to SQLite after the cache is flushed.
import { StateError } from "./errors.ts";
import type { SqliteKeyValueStore } from "./key-value-store.ts";
import type { StateTransaction } from "./transaction.ts";
import type { SessionStore, SessionStoreEntry, SessionStoreOptions } from "./types.ts";
import { SqliteWindowedStore } from "./windowed-store.ts";
import { sessionKey, type WindowedRow, type WindowedTable } from "./windowed-table.ts";

export class SqliteSessionStore<K, V> extends SqliteWindowedStore<K, V, SessionStoreEntry<K, V>> implements SessionStore<K, V> {
  constructor(options: SessionStoreOptions<K, V>, rows: SqliteKeyValueStore<Buffer, V>, table: WindowedTable, tx: StateTransaction) {
    if (!(options.retentionMs >= 0)) {
      throw new StateError("WEIR_STATE_OPTIONS_INVALID", `session store ${options.name} needs retentionMs ≥ 0, got ${options.retentionMs}`);
    }
    super(options, options.valueSerde, rows, table, tx);
  }

  put(key: K, start: number, end: number, value: V | null): void {
    if (value === null || value === undefined) {
      this.remove(key, start, end);
      return;
    }
    if (end < start) throw new StateError("WEIR_STATE_STORE_INVALID", `session of store ${this.name} ends (${end}) before it starts (${start})`);
    this.tx.beginWrite("put");
    const k = sessionKey(this.keySerde.serialize(key, this.topic), start, end);
    this.clock.advance(end);
    if (end < this.clock.cutoff()) return;
    this.rows.put(k, value);
  }

  remove(key: K, start: number, end: number): void {
    this.tx.assertReadable("remove");
    this.rows.delete(sessionKey(this.keySerde.serialize(key, this.topic), start, end));
  }

  fetchSession(key: K, start: number, end: number): V | undefined {
    this.tx.assertReadable("fetchSession");
    if (end < this.clock.cutoff()) return undefined;
    return this.rows.get(sessionKey(this.keySerde.serialize(key, this.topic), start, end));
  }

  findSessions(key: K, earliestEnd: number, latestStart: number): SessionStoreEntry<K, V>[] {
    this.readable("findSessions");
    const from = Math.max(earliestEnd, this.clock.cutoff());
    return this.table.fetchKey(this.keySerde.serialize(key, this.topic), from, latestStart).map((row) => this.entry(row, key));
  }

  protected entry(row: WindowedRow, key: K | undefined): SessionStoreEntry<K, V> {
    return { key: key ?? this.keySerde.deserialize(row.key, this.topic), start: row.start, end: row.end, value: this.valueSerde.deserialize(row.value, this.topic) };
  }
}
