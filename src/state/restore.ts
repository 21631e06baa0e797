// Applying one batch of changelog records to a store's table, as fast as SQLite allows: DESIGN.md
// measured arrival-order upserts at ~30k rows/s and sorted batches several times faster.
import type { ChangelogBatch } from "./changelog-batch.ts";
import type { StoreTable } from "./kv-table.ts";

/**
 * Rows handed to the table at a time: the views of the batch's bytes made for them are young garbage, never
 * a batch's worth promoted to the old generation while SQLite writes it.
 */
const CHUNK_ROWS = 1024;

/**
 * Writes `batch` into `table` inside the caller's transaction: the last record of each key wins, a
 * null value deletes. Puts go in key order through multi-row upserts (see bench/state-restore.ts).
 */
export function restoreBatch(table: StoreTable, batch: ChangelogBatch): void {
  const latest = batch.latestInKeyOrder();
  const keys: Buffer[] = [];
  const values: Buffer[] = [];
  const deletes: Buffer[] = [];
  for (const i of latest) {
    const value = batch.value(i);
    if (value === null) {
      deletes.push(batch.key(i));
      continue;
    }
    keys.push(batch.key(i));
    values.push(value);
    if (keys.length === CHUNK_ROWS) {
      table.upsertMany(keys, values);
      keys.length = 0;
      values.length = 0;
    }
  }
  table.upsertMany(keys, values);
  // Each key occurs once, so deleting after the puts gives the same rows.
  for (const key of deletes) table.remove(key);
}
