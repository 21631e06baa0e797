// The JavaScript half of applying a restore batch, alone (no broker, no SQLite): one task's share of W4's changelog
// (167,000 records, bench/lib/records.ts's keys and values) sorted and packed into 64-row writes, 15 times. Not a test:
//   node bench/restore-sort.ts
import { ChangelogBatch } from "../src/state/changelog-batch.ts";
import type { StoreTable } from "../src/state/kv-table.ts";
import type { PackedRows } from "../src/state/packed-rows.ts";
import { restoreBatch } from "../src/state/restore.ts";
import { countChangelogRecord } from "./lib/records.ts";

const records = 167_000;
const reps = 15;
const batch = new ChangelogBatch();
for (let i = 0; batch.length < records; i++) {
  const r = countChangelogRecord(i, 6);
  if (r.partition === 0) batch.add(r.key, r.value);
}
let rows = 0;
// Only what restoreBatch calls; the rows are counted, not written.
const table = { upsertPacked: (packed: PackedRows) => void (rows += packed.count), remove: () => true } as unknown as StoreTable;
for (const phase of ["warm-up", "measured"]) {
  let sortMs = 0;
  let applyMs = 0;
  for (let rep = 0; rep < reps; rep++) {
    let start = performance.now();
    batch.latestInKeyOrder();
    sortMs += performance.now() - start;
    start = performance.now();
    restoreBatch(table, batch);
    applyMs += performance.now() - start;
  }
  if (phase === "measured") console.log(`${records} records: latestInKeyOrder ${(sortMs / reps).toFixed(1)} ms, restoreBatch (sort and copy) ${(applyMs / reps).toFixed(1)} ms (${rows} rows packed)`);
}
