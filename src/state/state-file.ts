// The SQLite file of one task (`<stateDir>/<applicationId>/<taskId>.sqlite`): every store of the task
// plus the checkpoint of changelog offsets they reflect, committed together (DESIGN.md steps 2, 4, 5).
import type { Database } from "better-sqlite3";
import { statSync } from "node:fs";
import { join } from "node:path";
import { CheckpointTable, checkpointRows } from "./checkpoint-table.ts";
import { CommittedReadQueue, committedKeyValueReads, committedVersionedReads, committedWindowedReads, type CommittedView } from "./committed-reads.ts";
import { StateError, messageOf } from "./errors.ts";
import { SqliteKeyValueStore } from "./key-value-store.ts";
import { KeyValueTable, type StoreTable } from "./kv-table.ts";
import { serdes } from "../serdes/serde.ts";
import { SqliteSessionStore } from "./session-store.ts";
import { BufferTable, SqliteTimeOrderedBuffer, bufferedValueSerde, type TimeOrderedBuffer } from "./time-ordered-buffer.ts";
import { SqliteWindowStore, timestampedSerde } from "./window-store.ts";
import { WindowedTable } from "./windowed-table.ts";
import { SqliteVersionedKeyValueStore, type VersionedKeyValueStore, type VersionedKeyValueStoreOptions } from "./versioned-store.ts";
import { VersionedTable } from "./versioned-table.ts";
import { openDatabase, openInMemory } from "./open-database.ts";
import { ChangelogBatch } from "./changelog-batch.ts";
import { restoreBatch } from "./restore.ts";
import { StateTransaction, type CachedStore, type StateFileStatus } from "./transaction.ts";
import type {
  ChangelogRecord,
  Checkpoint,
  KeyValueStore,
  KeyValueStoreOptions,
  RestoreRecord,
  SessionStore,
  SessionStoreOptions,
  StateFileOptions,
  ValueAndTimestamp,
  WindowStore,
  WindowStoreOptions,
} from "./types.ts";

type StoreLayout = "keyValue" | "window" | "session" | "buffer" | "versioned";

/** A store of the file: its cached rows (what restore and the changelog see) and the typed store over them. */
interface OpenStore {
  readonly layout: StoreLayout;
  readonly rows: SqliteKeyValueStore<unknown, unknown>;
  readonly table: StoreTable;
  facade: unknown;
  /** A store that keeps more than the write cache in memory (the suppress buffer) hears of a restore. */
  restored?: () => void;
}

export type { StateFileStatus } from "./transaction.ts";

export function stateFilePath(stateDir: string, applicationId: string, taskId: string): string {
  return join(stateDir, applicationId, `${taskId}.sqlite`);
}

export class StateFile {
  /** The file's path, or `:memory:`. */
  readonly path: string;
  /** True when the file existed but was corrupt and was replaced by an empty one: restore from the beginning. */
  readonly rebuilt: boolean;
  /** Why it was replaced (for the log). */
  readonly rebuildReason: string | undefined;
  private readonly db: Database;
  private readonly tx: StateTransaction;
  private readonly checkpoints: CheckpointTable;
  private readonly stores = new Map<string, OpenStore>();
  private readonly reads: CommittedReadQueue;

  private constructor(db: Database, path: string, rebuilt: boolean, rebuildReason: string | undefined, options: StateFileOptions) {
    this.db = db;
    this.path = path;
    this.rebuilt = rebuilt;
    this.rebuildReason = rebuildReason;
    this.tx = new StateTransaction(db, path, options.cacheMaxBytes);
    this.checkpoints = new CheckpointTable(db);
    const view: CommittedView = {
      keyValue: (name) => {
        const store = this.stores.get(name);
        if (!store) throw new StateError("WEIR_STATE_STORE_INVALID", `read of unknown store ${name} in ${this.path}`);
        if (!(store.table instanceof KeyValueTable)) throw new StateError("WEIR_STATE_STORE_INVALID", `store ${name} is a ${store.layout} store, not a key-value store`);
        return committedKeyValueReads(store.table);
      },
      windowed: (name) => {
        const store = this.stores.get(name);
        if (!store) throw new StateError("WEIR_STATE_STORE_INVALID", `read of unknown store ${name} in ${this.path}`);
        if (!(store.table instanceof WindowedTable)) throw new StateError("WEIR_STATE_STORE_INVALID", `store ${name} is a ${store.layout} store, not a window or session store`);
        return committedWindowedReads(store.table);
      },
      versioned: (name) => {
        const store = this.stores.get(name);
        if (!store) throw new StateError("WEIR_STATE_STORE_INVALID", `read of unknown store ${name} in ${this.path}`);
        if (!(store.table instanceof VersionedTable)) throw new StateError("WEIR_STATE_STORE_INVALID", `store ${name} is a ${store.layout} store, not a versioned store`);
        return committedVersionedReads(store.table);
      },
    };
    this.reads = new CommittedReadQueue(view, () => db.inTransaction);
  }

  /**
   * Opens (or creates) the file and its folders. An existing file is checked first; one that is corrupt
   * or not SQLite is deleted with its WAL and replaced by an empty file (`rebuilt`). A file held by
   * another connection throws WEIR_STATE_LOCKED and is left alone.
   */
  static open(path: string, options: StateFileOptions): StateFile {
    checkOptions(options);
    const { db, rebuilt, rebuildReason } = openDatabase(path, options.pageCacheBytes);
    try {
      return new StateFile(db, path, rebuilt, rebuildReason, options);
    } catch (err) {
      db.close();
      throw new StateError("WEIR_STATE_OPEN_FAILED", `cannot prepare ${path}: ${messageOf(err)}`, { cause: err });
    }
  }

  /** The same on an in-memory database, for the TopologyTestDriver. */
  static inMemory(options: StateFileOptions): StateFile {
    checkOptions(options);
    return new StateFile(openInMemory(options.pageCacheBytes), ":memory:", false, undefined, options);
  }

  get status(): StateFileStatus {
    return this.tx.status;
  }

  /** Writes ever made through the file's stores: unchanged around a piece of work means it wrote no state. */
  get writeCount(): number {
    return this.tx.writes;
  }

  /**
   * The store called `options.name`, its table created if needed; the same instance each time. Open
   * every store before the first write (while `idle`), as the task does when it is created.
   */
  keyValueStore<K, V>(options: KeyValueStoreOptions<K, V>): KeyValueStore<K, V> {
    return this.rowsOf(options, "keyValue", () => new KeyValueTable(this.db, options.name)).rows as unknown as KeyValueStore<K, V>;
  }

  /** A window store (see WindowStore); the same instance each time, under the same rules as keyValueStore(). */
  windowStore<K, V>(options: WindowStoreOptions<K, V>): WindowStore<K, V> {
    const opened = this.rowsOf({ ...options, keySerde: serdes.bytes(), valueSerde: timestampedSerde(options.valueSerde) }, "window", () => new WindowedTable(this.db, options.name, "window"));
    opened.facade ??= this.track(new SqliteWindowStore(options, opened.rows as SqliteKeyValueStore<Buffer, ValueAndTimestamp<V>>, opened.table as WindowedTable, this.tx));
    return opened.facade as WindowStore<K, V>;
  }

  /** A session store (see SessionStore); the same instance each time. */
  sessionStore<K, V>(options: SessionStoreOptions<K, V>): SessionStore<K, V> {
    const opened = this.rowsOf({ ...options, keySerde: serdes.bytes() }, "session", () => new WindowedTable(this.db, options.name, "session"));
    opened.facade ??= this.track(new SqliteSessionStore(options, opened.rows as SqliteKeyValueStore<Buffer, V>, opened.table as WindowedTable, this.tx));
    return opened.facade as SessionStore<K, V>;
  }

  /** The buffer of a `suppress` (see TimeOrderedBuffer); the same instance each time. */
  timeOrderedBuffer<K, V>(options: KeyValueStoreOptions<K, V>): TimeOrderedBuffer<K, V> {
    const opened = this.rowsOf({ ...options, keySerde: serdes.bytes(), valueSerde: bufferedValueSerde(options.valueSerde) }, "buffer", () => new BufferTable(this.db, options.name));
    if (!opened.facade) {
      const buffer = new SqliteTimeOrderedBuffer(options, opened.rows as never, opened.table as BufferTable, this.tx);
      this.tx.stores.push(buffer);
      opened.facade = buffer;
      opened.restored = () => buffer.restored();
    }
    return opened.facade as TimeOrderedBuffer<K, V>;
  }

  /** A versioned key-value store (see VersionedKeyValueStore); the same instance each time. */
  versionedStore<K, V>(options: VersionedKeyValueStoreOptions<K, V>): VersionedKeyValueStore<K, V> {
    const opened = this.rowsOf({ ...options, keySerde: serdes.bytes(), valueSerde: serdes.bytes() }, "versioned", () => new VersionedTable(this.db, options.name));
    if (!opened.facade) {
      const store = new SqliteVersionedKeyValueStore(options, opened.rows as SqliteKeyValueStore<Buffer, Buffer>, opened.table as VersionedTable, this.tx);
      this.tx.stores.push(store);
      opened.facade = store;
    }
    return opened.facade as VersionedKeyValueStore<K, V>;
  }

  /** The cached key-value rows of a store, created with its table on first use. */
  private rowsOf(options: KeyValueStoreOptions<unknown, unknown>, layout: StoreLayout, table: () => StoreTable): OpenStore {
    this.tx.assertReadable("open store");
    const existing = this.stores.get(options.name);
    if (existing) {
      const rows = existing.rows;
      if (rows.changelogTopic !== options.changelogTopic || rows.changelogPartition !== options.changelogPartition || existing.layout !== layout) {
        throw new StateError(
          "WEIR_STATE_STORE_INVALID",
          `store ${options.name} is already open as a ${existing.layout} store with changelog ${rows.changelogTopic}:${rows.changelogPartition}, not as a ${layout} store with ${options.changelogTopic}:${options.changelogPartition}`,
        );
      }
      return existing;
    }
    // CREATE TABLE inside an open processing transaction would vanish with its rollback.
    if (this.tx.status !== "idle") this.tx.refuse(`opening new store ${options.name}`);
    const t = table();
    const rows = new SqliteKeyValueStore(options, t, this.tx);
    const opened: OpenStore = { layout, rows, table: t, facade: undefined };
    this.stores.set(options.name, opened);
    this.tx.stores.push(rows);
    return opened;
  }

  /** Window and session stores keep a clock derived from their table, which the transaction resets. */
  private track<S extends { readonly clock: CachedStore }>(store: S): S {
    this.tx.stores.push(store.clock);
    return store;
  }

  /**
   * Step 4, first half: writes every store's dirty cached entries into the open SQLite transaction and
   * returns the changelog records produced since the last flush() (one per key per flush; a delete is a
   * record with a null value). Send them in the Kafka transaction before commit().
   */
  flush(): ChangelogRecord[] {
    return this.tx.takeChangelog();
  }

  /**
   * Step 4, second half: flushes what is still dirty, upserts the checkpoint rows and COMMITs. Changelog
   * partitions the checkpoint leaves out keep their rows. Records produced by this flush were not
   * returned by flush(); the next flush() returns them. A failure leaves the file `failed`.
   */
  commit(checkpoint: Checkpoint): void {
    const rows = checkpointRows(checkpoint);
    this.tx.commit(() => this.checkpoints.write(rows));
    this.reads.settled();
  }

  /** Step 5: back to the last commit; every cache and queued changelog record is dropped. */
  rollback(): void {
    this.tx.rollback();
    this.reads.settled();
  }

  /**
   * Runs `read` against the committed state only (interactive queries): never the write cache or the
   * open SQLite transaction. At once when no transaction is open, else right after the next commit() or
   * rollback(); rejected with WEIR_STATE_CLOSED if the file closes first. Keep `read` short: it runs on
   * the processing thread.
   */
  readCommitted<T>(read: (view: CommittedView) => T): Promise<T> {
    return this.reads.read(read, this.path);
  }

  /** The committed checkpoint: `topic:partition` → the next changelog offset to restore from. */
  checkpoint(): Checkpoint {
    this.tx.assertReadable("checkpoint");
    return this.checkpoints.read();
  }

  /**
   * Step 2: applies a batch of one store's changelog records (null value = delete; the last record of a
   * key wins) and the checkpoint in one transaction of their own, committed before returning. Only
   * while `idle`: a batch mixed into uncommitted processing writes would be rolled back with them.
   */
  restore(storeName: string, records: ChangelogBatch | readonly RestoreRecord[], checkpoint: Checkpoint): void {
    this.tx.assertReadable("restore");
    const store = this.stores.get(storeName);
    if (!store) {
      throw new StateError("WEIR_STATE_STORE_INVALID", `restore of unknown store ${storeName} in ${this.path}: open it with keyValueStore() first`);
    }
    const rows = checkpointRows(checkpoint);
    const batch = records instanceof ChangelogBatch ? records : ChangelogBatch.of(records);
    const table = store.table;
    const storeRows = store.rows;
    this.tx.runAlone("restore", () => {
      if (batch.length > 0) restoreBatch(table, batch);
      this.checkpoints.write(rows);
    });
    // The table changed behind the caches (whose entries are all clean while idle).
    this.tx.clearCaches();
    storeRows.restored();
    store.restored?.();
  }

  /** Bytes on disk, the WAL included (for the store-size metric). */
  sizeBytes(): number {
    this.tx.assertReadable("sizeBytes");
    if (this.path === ":memory:") {
      return (this.db.pragma("page_count", { simple: true }) as number) * (this.db.pragma("page_size", { simple: true }) as number);
    }
    const wal = statSync(`${this.path}-wal`, { throwIfNoEntry: false });
    return statSync(this.path).size + (wal ? wal.size : 0);
  }

  /** Rolls back what was not committed and closes the file. Closing twice is a no-op; any other call after close throws. */
  close(): void {
    if (this.tx.status === "closed") return;
    try {
      if (this.db.inTransaction) this.db.exec("ROLLBACK");
    } finally {
      this.reads.close(this.path);
      this.tx.close();
      this.db.close();
    }
  }
}

function checkOptions(options: StateFileOptions): void {
  if (!Number.isSafeInteger(options.cacheMaxBytes) || options.cacheMaxBytes < 0) {
    throw new StateError("WEIR_STATE_OPTIONS_INVALID", `cacheMaxBytes must be an integer ≥ 0, got ${options.cacheMaxBytes}`);
  }
}
