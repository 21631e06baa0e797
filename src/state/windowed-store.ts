// What the window and session stores share: their rows go through a key-value store (write cache and changelog)
// over a windowed table, reads by time go to SQLite after the cache is flushed, and a retention clock drops
// what has expired.
import type { Serde } from "../serdes/serde.ts";
import type { SqliteKeyValueStore } from "./key-value-store.ts";
import { StoreClock } from "./retention.ts";
import type { StateTransaction } from "./transaction.ts";
import type { KeyValueStoreOptions } from "./types.ts";
import { SCAN_PAGE_ROWS, type WindowedRow, type WindowedTable } from "./windowed-table.ts";

/** A store of `E` entries whose rows hold `S` values (the serialized form the changelog carries). */
export abstract class SqliteWindowedStore<K, S, E> {
  readonly name: string;
  readonly retentionMs: number;
  readonly clock: StoreClock;
  protected readonly keySerde: Serde<K>;
  protected readonly valueSerde: Serde<S>;
  protected readonly topic: string;
  protected readonly rows: SqliteKeyValueStore<Buffer, S>;
  protected readonly table: WindowedTable;
  protected readonly tx: StateTransaction;

  protected constructor(options: KeyValueStoreOptions<K, unknown> & { readonly retentionMs: number }, valueSerde: Serde<S>, rows: SqliteKeyValueStore<Buffer, S>, table: WindowedTable, tx: StateTransaction) {
    this.name = options.name;
    this.retentionMs = options.retentionMs;
    this.keySerde = options.keySerde;
    this.valueSerde = valueSerde;
    this.topic = options.changelogTopic;
    this.rows = rows;
    this.table = table;
    this.tx = tx;
    this.clock = new StoreClock(table, tx, options.retentionMs, () => rows.restored());
  }

  all(): IterableIterator<E> {
    return this.fetchAll(Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
  }

  observedStreamTimeMs(): number {
    this.tx.assertReadable("observedStreamTimeMs");
    return this.clock.now();
  }

  approximateNumEntries(): number {
    return this.rows.approximateNumEntries();
  }

  /** SQLite is read directly: the write cache's dirty entries go there first. */
  protected readable(operation: string): void {
    this.tx.assertReadable(operation);
    this.tx.flushStores(operation);
  }

  /** A row as an entry; `key` when the caller has it already (a lookup by key), else decoded from the row. */
  protected abstract entry(row: WindowedRow, key: K | undefined): E;

  /** The entries whose indexed time (a window's start, a session's end) is in [from, to], unexpired, page by page. */
  *fetchAll(from: number, to: number): Generator<E> {
    let after: WindowedRow | undefined;
    for (;;) {
      this.readable("iterate");
      const start = Math.max(from, this.clock.cutoff());
      if (start > to) return;
      const rows = this.table.scanPage(start, to, after);
      for (const row of rows) yield this.entry(row, undefined);
      if (rows.length < SCAN_PAGE_ROWS) return;
      after = rows[rows.length - 1];
    }
  }
}
