// The SQLite file of one task (`<stateDir>/<applicationId>/<taskId>.sqlite`): every store of the task
// plus the checkpoint of changelog offsets they reflect, committed together (DESIGN.md steps 2, 4, 5).
import type { Database } from "better-sqlite3";
import { statSync } from "node:fs";
import { join } from "node:path";
import { CheckpointTable, checkpointRows } from "./checkpoint-table.ts";
import { StateError, messageOf } from "./errors.ts";
import { SqliteKeyValueStore } from "./key-value-store.ts";
import { KeyValueTable } from "./kv-table.ts";
import { openDatabase, openInMemory } from "./open-database.ts";
import { restoreBatch } from "./restore.ts";
import { StateTransaction, type StateFileStatus } from "./transaction.ts";
import type { ChangelogRecord, Checkpoint, KeyValueStore, KeyValueStoreOptions, RestoreRecord, StateFileOptions } from "./types.ts";

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
  private readonly stores = new Map<string, SqliteKeyValueStore<unknown, unknown>>();

  private constructor(db: Database, path: string, rebuilt: boolean, rebuildReason: string | undefined, options: StateFileOptions) {
    this.db = db;
    this.path = path;
    this.rebuilt = rebuilt;
    this.rebuildReason = rebuildReason;
    this.tx = new StateTransaction(db, path, options.cacheMaxBytes);
    this.checkpoints = new CheckpointTable(db);
  }

  /**
   * Opens (or creates) the file and its folders. An existing file is checked first; one that is corrupt
   * or not SQLite is deleted with its WAL and replaced by an empty file (`rebuilt`). A file held by
   * another connection throws WEIR_STATE_LOCKED and is left alone.
   */
  static open(path: string, options: StateFileOptions): StateFile {
    checkOptions(options);
    const { db, rebuilt, rebuildReason } = openDatabase(path);
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
    return new StateFile(openInMemory(), ":memory:", false, undefined, options);
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
    this.tx.assertReadable("keyValueStore");
    const existing = this.stores.get(options.name);
    if (existing) {
      if (existing.changelogTopic !== options.changelogTopic || existing.changelogPartition !== options.changelogPartition) {
        throw new StateError(
          "WEIR_STATE_STORE_INVALID",
          `store ${options.name} is already open with changelog ${existing.changelogTopic}:${existing.changelogPartition}, not ${options.changelogTopic}:${options.changelogPartition}`,
        );
      }
      return existing as unknown as KeyValueStore<K, V>;
    }
    // CREATE TABLE inside an open processing transaction would vanish with its rollback.
    if (this.tx.status !== "idle") this.tx.refuse(`opening new store ${options.name}`);
    const store = new SqliteKeyValueStore(options, new KeyValueTable(this.db, options.name), this.tx);
    this.stores.set(options.name, store);
    this.tx.stores.push(store);
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
  }

  /** Step 5: back to the last commit; every cache and queued changelog record is dropped. */
  rollback(): void {
    this.tx.rollback();
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
  restore(storeName: string, records: readonly RestoreRecord[], checkpoint: Checkpoint): void {
    this.tx.assertReadable("restore");
    const store = this.stores.get(storeName);
    if (!store) {
      throw new StateError("WEIR_STATE_STORE_INVALID", `restore of unknown store ${storeName} in ${this.path}: open it with keyValueStore() first`);
    }
    const rows = checkpointRows(checkpoint);
    const table = store.table;
    this.tx.runAlone("restore", () => {
      restoreBatch(table, records);
      this.checkpoints.write(rows);
    });
    // The table changed behind the caches (whose entries are all clean while idle).
    this.tx.clearCaches();
    store.restored();
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
