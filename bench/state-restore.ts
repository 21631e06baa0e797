// Benchmarks of the state layer on real files. Not a test; run by hand:
//   node bench/state-restore.ts [--records 1000000] [--batch 50000] [--keys 100000] [--commit-every 1000]
// restore: N random 10-byte keys with 100-byte values through StateFile.restore in batches;
// reopen: the open-time quick_check (and integrity_check, for comparison) of the restored file;
// process: a get-then-put per record over a key space, flushed and committed every K records.
import Database from "better-sqlite3";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { serdes } from "../src/serdes/serde.ts";
import { StateFile } from "../src/state/state-file.ts";
import type { RestoreRecord } from "../src/state/types.ts";

const { values: args } = parseArgs({
  options: {
    records: { type: "string", default: "1000000" },
    batch: { type: "string", default: "50000" },
    keys: { type: "string", default: "100000" },
    "commit-every": { type: "string", default: "1000" },
    "cache-bytes": { type: "string", default: String(64 << 20) },
  },
});
const records = Number(args.records);
const batchSize = Number(args.batch);
const dir = mkdtempSync(join(tmpdir(), "weir-state-bench-"));
const path = join(dir, "bench", "0_0.sqlite");
const storeOptions = { name: "s", keySerde: serdes.bytes(), valueSerde: serdes.bytes(), changelogTopic: "bench-s-changelog", changelogPartition: 0 };

function ms(since: number): number {
  return performance.now() - since;
}

try {
  // --- restore ---
  // One pool of random bytes, sliced: the records are views, as kafkajs hands them out.
  const pool = randomBytes(records * 110);
  let file = StateFile.open(path, { cacheMaxBytes: 0 });
  file.keyValueStore(storeOptions);
  let start = performance.now();
  for (let done = 0; done < records; done += batchSize) {
    const batch: RestoreRecord[] = [];
    for (let i = done; i < Math.min(done + batchSize, records); i++) {
      batch.push({ key: pool.subarray(i * 110, i * 110 + 10), value: pool.subarray(i * 110 + 10, i * 110 + 110), offset: String(i) });
    }
    file.restore("s", batch, new Map([["bench-s-changelog:0", String(done + batch.length)]]));
  }
  const restoreMs = ms(start);
  console.log(`restore: ${records} records in batches of ${batchSize}: ${Math.round(restoreMs)} ms, ${Math.round(records / (restoreMs / 1000))} records/s`);
  start = performance.now();
  const counted = file.keyValueStore(storeOptions).approximateNumEntries();
  console.log(`first approximateNumEntries (a COUNT(*)): ${counted} rows in ${ms(start).toFixed(1)} ms`);
  file.close();
  const bytes = statSync(path).size;

  // --- reopen ---
  start = performance.now();
  file = StateFile.open(path, { cacheMaxBytes: 0 });
  console.log(`reopen with quick_check: ${Math.round(ms(start))} ms for ${(bytes / 2 ** 20).toFixed(0)} MiB (rebuilt=${file.rebuilt})`);
  file.close();
  const raw = new Database(path);
  for (const check of ["quick_check", "integrity_check"]) {
    start = performance.now();
    raw.pragma(check);
    console.log(`  ${check} alone: ${Math.round(ms(start))} ms`);
  }
  raw.close();

  // --- process ---
  const keys = Number(args.keys);
  const commitEvery = Number(args["commit-every"]);
  file = StateFile.open(join(dir, "bench", "0_1.sqlite"), { cacheMaxBytes: Number(args["cache-bytes"]) });
  const counts = file.keyValueStore({ name: "counts", keySerde: serdes.string(), valueSerde: serdes.json<{ n: number }>(), changelogTopic: "bench-counts-changelog", changelogPartition: 1 });
  const names: string[] = [];
  for (let i = 0; i < keys; i++) names.push(`user-${(i * 2654435761) % 4294967296}`);
  let changelog = 0;
  start = performance.now();
  for (let i = 0; i < records; i++) {
    const key = names[(i * 7919) % keys]!;
    const previous = counts.get(key);
    counts.put(key, { n: (previous?.n ?? 0) + 1 });
    if ((i + 1) % commitEvery === 0) {
      changelog += file.flush().length;
      file.commit(new Map([["bench-counts-changelog:1", String(i + 1)]]));
    }
  }
  const processMs = ms(start);
  console.log(
    `process: ${records} get+put over ${keys} keys, commit every ${commitEvery}: ${Math.round(records / (processMs / 1000))} records/s, ${changelog} changelog records`,
  );
  file.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
