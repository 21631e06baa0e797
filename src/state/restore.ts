// Applying one batch of changelog records to a store's table, as fast as SQLite allows: DESIGN.md
// measured arrival-order upserts at ~30k rows/s and sorted batches several times faster.
import type { ChangelogBatch } from "./changelog-batch.ts";
import type { StoreTable } from "./kv-table.ts";
import { PACKED_ROWS_PER_WRITE, PackedRows } from "./packed-rows.ts";

/** Reused by every batch (restore is synchronous, one batch at a time): no buffer or view per row. */
const rows = new PackedRows();

/**
 * Writes `batch` into `table` inside the caller's transaction: the last record of each key wins, a
 * null value deletes. Puts go in key order through multi-row upserts (see bench/state-restore.ts).
 */
export function restoreBatch(table: StoreTable, batch: ChangelogBatch): void {
  const latest = batch.latestInKeyOrder();
  const deletes: Buffer[] = [];
  rows.clear();
  for (let n = 0; n < latest.length; n++) {
    const i = latest[n]!;
    if (batch.isTombstone(i)) {
      deletes.push(batch.key(i));
      continue;
    }
    batch.copyRecordTo(i, rows);
    if (rows.count === PACKED_ROWS_PER_WRITE) {
      table.upsertPacked(rows);
      rows.clear();
    }
  }
  if (rows.count > 0) table.upsertPacked(rows);
  rows.clear();
  // Each key occurs once, so deleting after the puts gives the same rows.
  for (const key of deletes) table.remove(key);
}
