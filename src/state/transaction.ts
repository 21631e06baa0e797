// The one transaction of a state file, after Quix Streams' partition transaction: an explicit status that
// refuses calls in the wrong state, the lazily begun SQLite transaction, the write cache's byte budget
// shared by the file's stores, and the changelog records waiting for the next flush().
import type { Database, Statement } from "better-sqlite3";
import { StateError, messageOf } from "./errors.ts";
import type { ChangelogRecord } from "./types.ts";

/**
 * - `idle`: no uncommitted writes; restore() is allowed.
 * - `active`: writes since the last commit or rollback (in a write cache, in SQLite, or both).
 * - `failed`: SQLite refused a write or the commit; what the open transaction holds is unknown, so only
 *   rollback() and close() are accepted.
 * - `closed`: every call but close() throws.
 */
export type StateFileStatus = "idle" | "active" | "failed" | "closed";

/** What the transaction asks of each store of its file. */
export interface CachedStore {
  /** Writes the store's dirty cached entries to SQLite, sorted by key, and queues their changelog records. */
  flushDirty(): void;
  /** Drops every cached entry; the caller has flushed or is discarding the dirty ones. */
  clearCache(): void;
  /** The transaction committed: what is in SQLite now is the committed state. */
  committed(): void;
  /** The transaction rolled back: the cache is gone and SQLite is as at the last commit. */
  rolledBack(): void;
  /** The write cache is over its budget and flushed: drop the entries cached first (key-value stores only). */
  dropOlderEntries?(): void;
}

export class StateTransaction {
  /** Read it through the file's `status`; stores check it on every call, so it is a plain field. */
  status: StateFileStatus = "idle";
  /** Bytes held by the write caches of all the file's stores; 0 means the caches are off. */
  readonly cacheMaxBytes: number;
  cacheBytes = 0;
  /** Writes ever begun (never reset): the runtime compares it around one record to know whether the record wrote state. */
  writes = 0;
  readonly stores: CachedStore[] = [];
  private readonly db: Database;
  private readonly file: string;
  private changelog: ChangelogRecord[] = [];
  private readonly beginStatement: Statement<[]>;
  private readonly commitStatement: Statement<[]>;
  private readonly rollbackStatement: Statement<[]>;

  constructor(db: Database, file: string, cacheMaxBytes: number) {
    this.db = db;
    this.file = file;
    this.cacheMaxBytes = cacheMaxBytes;
    this.beginStatement = db.prepare("BEGIN");
    this.commitStatement = db.prepare("COMMIT");
    this.rollbackStatement = db.prepare("ROLLBACK");
  }

  /** Reads are allowed while idle or active. */
  assertReadable(operation: string): void {
    if (this.status === "closed" || this.status === "failed") this.refuse(operation);
  }

  /** Every write calls this first: idle turns active, active stays, failed and closed refuse. */
  beginWrite(operation: string): void {
    this.writes++;
    if (this.status === "active") return;
    if (this.status !== "idle") this.refuse(operation);
    this.status = "active";
  }

  /** Begins the SQLite transaction at the first write that reaches SQLite since the last commit or rollback. */
  openSqliteTransaction(): void {
    if (!this.db.inTransaction) this.beginStatement.run();
  }

  queue(record: ChangelogRecord): void {
    this.changelog.push(record);
  }

  /** Writes every store's dirty entries to SQLite; a failure leaves the file `failed`. */
  flushStores(operation: string): void {
    try {
      for (const store of this.stores) store.flushDirty();
    } catch (err) {
      throw this.fail(operation, err);
    }
  }

  /** The changelog records produced since the last call, flushing the caches first. */
  takeChangelog(): ChangelogRecord[] {
    this.assertReadable("flush");
    this.flushStores("flush");
    const out = this.changelog;
    this.changelog = [];
    return out;
  }

  /**
   * The caches outgrew their budget: flush the dirty entries into the open transaction, then drop the older
   * half of each store's entries (the first cached; Kafka Streams' cache drops its least recently used), so
   * the keys and windows being worked on stay cached. It dropped every entry: each window close of a windowed
   * aggregation over many keys then read its current windows back from SQLite.
   */
  shrinkCaches(): void {
    this.flushStores("write-cache eviction");
    for (const store of this.stores) store.dropOlderEntries?.();
    // Dirty entries a store could not drop, or a few huge ones: what still does not fit goes.
    if (this.cacheBytes > this.cacheMaxBytes) this.clearCaches();
  }

  /** Rows are about to change behind the caches (expiry): flush the dirty entries into the open transaction, then drop all. */
  evict(): void {
    this.flushStores("write-cache eviction");
    this.clearCaches();
  }

  clearCaches(): void {
    for (const store of this.stores) store.clearCache();
    this.cacheBytes = 0;
  }

  /** Flushes what is dirty, runs `writeCheckpoint` in the transaction, and COMMITs. */
  commit(writeCheckpoint: () => void): void {
    if (this.status !== "idle" && this.status !== "active") this.refuse("commit");
    // Records this flush produces were never returned by flush(), so they stay queued for the next one
    // rather than vanish; under exactly-once the runtime flushes and sends them before committing.
    this.flushStores("commit");
    try {
      this.openSqliteTransaction();
      writeCheckpoint();
      this.commitStatement.run();
    } catch (err) {
      throw this.fail("commit", err);
    }
    for (const store of this.stores) store.committed();
    this.status = "idle";
  }

  /** Back to the last commit: SQLite rolled back, caches and queued changelog records dropped. */
  rollback(): void {
    if (this.status === "closed") this.refuse("rollback");
    try {
      if (this.db.inTransaction) this.rollbackStatement.run();
    } catch (err) {
      throw this.fail("rollback", err);
    }
    this.changelog = [];
    for (const store of this.stores) store.rolledBack();
    this.cacheBytes = 0;
    this.status = "idle";
  }

  /** Runs `body` in a transaction of its own that commits at once (restore); only while idle. */
  runAlone(operation: string, body: () => void): void {
    if (this.status !== "idle") this.refuse(operation);
    try {
      this.beginStatement.run();
      body();
      this.commitStatement.run();
    } catch (err) {
      // The batch is all or nothing: undo it and stay idle, so the caller may retry or close.
      try {
        if (this.db.inTransaction) this.rollbackStatement.run();
      } catch (rollbackErr) {
        throw this.fail(`${operation} (and its rollback)`, rollbackErr);
      }
      if (err instanceof StateError) throw err;
      throw new StateError("WEIR_STATE_WRITE_FAILED", `${operation} on ${this.file} failed and was rolled back: ${messageOf(err)}`, { cause: err });
    }
  }

  /** Marks the file failed and returns the error to throw. */
  fail(operation: string, err: unknown): StateError {
    if (err instanceof StateError && this.status === "failed") return err;
    if (this.status !== "closed") this.status = "failed";
    return new StateError(
      "WEIR_STATE_WRITE_FAILED",
      `${operation} on ${this.file} failed; the file now only accepts rollback() or close(): ${messageOf(err)}`,
      { cause: err },
    );
  }

  refuse(operation: string): never {
    if (this.status === "closed") throw new StateError("WEIR_STATE_CLOSED", `${operation} on ${this.file}: the state file is closed`);
    const hint =
      this.status === "failed"
        ? "a write failed; call rollback() (or close()) first"
        : "commit or roll back the writes first";
    throw new StateError("WEIR_STATE_WRONG_STATUS", `${operation} on ${this.file} is not allowed while the file is ${this.status}: ${hint}`);
  }

  close(): void {
    this.changelog = [];
    this.clearCaches();
    this.status = "closed";
  }
}
