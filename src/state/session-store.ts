// A typed session store on its table in the task's state file: the key-value store's write cache and
// changelog carry the rows (changelog key = key bytes + 8-byte start + 8-byte end); session lookups by
// time go to SQLite after the cache is flushed.
import type { Serde } from "../serdes/serde.ts";
import { StateError } from "./errors.ts";
import type { SqliteKeyValueStore } from "./key-value-store.ts";
import { StoreClock } from "./retention.ts";
import type { StateTransaction } from "./transaction.ts";
import type { SessionStore, SessionStoreEntry, SessionStoreOptions } from "./types.ts";
import { SCAN_PAGE_ROWS, sessionKey, type WindowedRow, type WindowedTable } from "./windowed-table.ts";

export class SqliteSessionStore<K, V> implements SessionStore<K, V> {
  readonly name: string;
  readonly retentionMs: number;
  readonly clock: StoreClock;
  private readonly keySerde: Serde<K>;
  private readonly valueSerde: Serde<V>;
  private readonly topic: string;
  private readonly rows: SqliteKeyValueStore<Buffer, V>;
  private readonly table: WindowedTable;
  private readonly tx: StateTransaction;

  constructor(options: SessionStoreOptions<K, V>, rows: SqliteKeyValueStore<Buffer, V>, table: WindowedTable, tx: StateTransaction) {
    if (!(options.retentionMs >= 0)) {
      throw new StateError("WEIR_STATE_OPTIONS_INVALID", `session store ${options.name} needs retentionMs ≥ 0, got ${options.retentionMs}`);
    }
    this.name = options.name;
    this.retentionMs = options.retentionMs;
    this.keySerde = options.keySerde;
    this.valueSerde = options.valueSerde;
    this.topic = options.changelogTopic;
    this.rows = rows;
    this.table = table;
    this.tx = tx;
    this.clock = new StoreClock(table, tx, options.retentionMs, () => rows.restored());
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

  fetchAll(earliestEnd: number, latestEnd: number): IterableIterator<SessionStoreEntry<K, V>> {
    return this.scan(earliestEnd, latestEnd);
  }

  all(): IterableIterator<SessionStoreEntry<K, V>> {
    return this.scan(Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
  }

  observedStreamTimeMs(): number {
    this.tx.assertReadable("observedStreamTimeMs");
    return this.clock.now();
  }

  approximateNumEntries(): number {
    return this.rows.approximateNumEntries();
  }

  private readable(operation: string): void {
    this.tx.assertReadable(operation);
    this.tx.flushStores(operation);
  }

  private *scan(earliestEnd: number, latestEnd: number): Generator<SessionStoreEntry<K, V>> {
    let after: WindowedRow | undefined;
    for (;;) {
      this.readable("iterate");
      const from = Math.max(earliestEnd, this.clock.cutoff());
      if (from > latestEnd) return;
      const rows = this.table.scanPage(from, latestEnd, after);
      for (const row of rows) yield this.entry(row, undefined);
      if (rows.length < SCAN_PAGE_ROWS) return;
      after = rows[rows.length - 1];
    }
  }

  private entry(row: WindowedRow, key: K | undefined): SessionStoreEntry<K, V> {
    return { key: key ?? this.keySerde.deserialize(row.key, this.topic), start: row.start, end: row.end, value: this.valueSerde.deserialize(row.value, this.topic) };
  }
}
