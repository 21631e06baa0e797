// The stream time of a window or session store and the expiry it drives: the largest record timestamp
// the store holds (recomputed from its table after open, restore or rollback), and the deletion of rows
// older than the retention, run once per "segment" of time as Kafka Streams drops whole segments.
import type { CachedStore, StateTransaction } from "./transaction.ts";
import type { WindowedTable } from "./windowed-table.ts";

/** Kafka Streams' segment interval: max(retention / 2, 60 s). Expired rows are deleted in steps of it. */
export function segmentIntervalMs(retentionMs: number): number {
  return Math.max(Math.floor(retentionMs / 2), 60_000);
}

export class StoreClock implements CachedStore {
  private readonly table: WindowedTable;
  private readonly tx: StateTransaction;
  private readonly retentionMs: number;
  private readonly intervalMs: number;
  /** Undefined until read from the table (after open, a cache drop, restore or rollback). */
  private time: number | undefined;
  /** Rows before this were deleted in the open transaction or earlier; -Infinity = not yet this session. */
  private expiredBefore = Number.NEGATIVE_INFINITY;
  /** Called after rows were deleted behind the write cache (the store recounts its rows). */
  private readonly onExpired: () => void;

  constructor(table: WindowedTable, tx: StateTransaction, retentionMs: number, onExpired: () => void) {
    this.table = table;
    this.tx = tx;
    this.retentionMs = retentionMs;
    this.intervalMs = segmentIntervalMs(retentionMs);
    this.onExpired = onExpired;
  }

  /** The store's stream time: the largest record timestamp (session end) seen; -1 when none. */
  now(): number {
    this.time ??= this.table.maxTimestamp() ?? -1;
    return this.time;
  }

  /** Rows whose start (windows) or end (sessions) is below this are expired. */
  cutoff(): number {
    if (this.retentionMs === Number.POSITIVE_INFINITY) return Number.NEGATIVE_INFINITY;
    return this.now() - this.retentionMs + 1;
  }

  /**
   * Advances the store's stream time to `timestamp` (a write is under way: the caller called
   * tx.beginWrite) and deletes expired rows when the cutoff moved a segment interval past the last
   * deletion. Dirty cached entries are flushed first, so that none is written back after the delete.
   */
  advance(timestamp: number): void {
    const now = Math.max(this.now(), timestamp);
    this.time = now;
    const cutoff = this.cutoff();
    if (cutoff === Number.NEGATIVE_INFINITY || cutoff < this.expiredBefore + this.intervalMs) return;
    try {
      this.tx.evict();
      this.tx.openSqliteTransaction();
      this.table.expireBefore(cutoff);
    } catch (err) {
      throw this.tx.fail("expiring windows", err);
    }
    this.expiredBefore = cutoff;
    this.time = now;
    this.onExpired();
  }

  // --- CachedStore: the clock is derived state, forgotten whenever the table may have changed behind it ---

  flushDirty(): void {}

  clearCache(): void {
    this.time = undefined;
  }

  committed(): void {}

  rolledBack(): void {
    this.time = undefined;
    // The deletions were rolled back too.
    this.expiredBefore = Number.NEGATIVE_INFINITY;
  }
}
