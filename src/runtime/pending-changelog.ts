// The records of one changelog partition read but not yet applied, for restore (task-restorer.ts) and
// standby tasks (standby-tasks.ts) alike: decoded out of each fetch into a compact ChangelogBatch, so that
// nothing of the fetch stays alive, and applied in one SQLite transaction per this many records
// or bytes, across fetches (docs/architecture.md, "Restore").
import type { ChangelogRecords } from "../kafka/index.ts";
import { ChangelogBatch } from "../state/changelog-batch.ts";

/**
 * Records per changelog partition applied in one SQLite transaction. Each batch is one pass of sorted upserts
 * over the store's B-tree, so a large store restores faster in fewer, larger batches: 10,000,000 keys (1.67M
 * per task file) 274k records/s at 50,000, 330k at 100,000, 413k at 200,000, for ~40 MB more peak RSS
 * (bench/README.md, "Restore without a view per row, in larger batches").
 */
export const restoreBatchRecords = 200_000;
/** Key and value bytes held per changelog partition before they are applied. */
export const restoreBatchBytes = 16 * 1024 * 1024;

/**
 * The most bytes of records one changelog fetch brings, all its partitions together. A fetch's records are
 * decoded at once and live until every partition of it is handled: with a 1 MiB share for each of many
 * partitions, a restore kept hundreds of MB of them on the V8 heap (bench/README.md).
 */
export const changelogFetchMaxBytes = 1024 * 1024;

export class PendingChangelog {
  readonly batch = new ChangelogBatch();
  /** The offset after the last record read (records without a key included); undefined once applied. */
  next: bigint | undefined;

  /** Copies the records with a key in (null-key records only move `next`); true once the batch is full. */
  add(records: ChangelogRecords): boolean {
    const last = records.copyTo(this.batch);
    if (last === undefined) return false;
    this.next = BigInt(last) + 1n;
    return this.batch.length >= restoreBatchRecords || this.batch.bytes >= restoreBatchBytes;
  }

  /** Whether records were read since the last apply. */
  get unapplied(): boolean {
    return this.next !== undefined;
  }

  /** Hands the batch and the offset after it to `apply`, then empties it (also when `apply` throws). */
  applyWith<T>(apply: (batch: ChangelogBatch, next: bigint) => T): T | undefined {
    const next = this.next;
    if (next === undefined) return undefined;
    try {
      return apply(this.batch, next);
    } finally {
      this.batch.clear();
      this.next = undefined;
    }
  }
}
