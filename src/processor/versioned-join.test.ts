// The versioned table and the grace-period stream–table join through a real ProcessorGraph and SQLite files:
// what the join holds back and the table's history survive a restart, and a restore from their changelogs
// into an empty file, so that the results are those of an uninterrupted run.
import assert from "node:assert/strict";
import { test } from "node:test";
import { join } from "node:path";
import { serdes } from "../serdes/serde.ts";
import { StateFile } from "../state/state-file.ts";
import { tempDir } from "../state/test-fixtures.ts";
import type { ChangelogRecord, RestoreRecord } from "../state/types.ts";
import type { StreamsBuilder } from "../topology/streams-builder.ts";
import { testTask } from "./test-task.ts";

const strings = { key: serdes.string(), value: serdes.string() };

function pricedOrders(b: StreamsBuilder): void {
  const prices = b.table("prices", { ...strings, store: "prices", versioned: { historyRetention: 1000 } });
  b.stream("orders", strings).join(prices, (o, p) => `${o}|${p}`, { name: "priced", gracePeriod: 100 }).to("joined", strings);
}

function firstRun(file: StateFile): ChangelogRecord[] {
  const run = testTask(pricedOrders, file);
  run.pipe("a", "p1", 100, "prices");
  run.pipe("a", "o1", 150, "orders"); // waits until stream time 250
  run.pipe("a", "p2", 140, "prices"); // late table update, within the grace
  const changelog = run.file.flush();
  run.commit();
  assert.deepEqual(run.outputs, []);
  return changelog;
}

function secondRun(file: StateFile): [string, string | null, string | null, number][] {
  const run = testTask(pricedOrders, file);
  run.pipe("b", "o2", 260, "orders");
  return run.outputs;
}

const expected = [["joined", "a", "o1|p2", 150]];

test("a buffered stream record and the table's history survive a restart of the task on its file", (t) => {
  const path = join(tempDir(t), "app", "0_0.sqlite");
  const first = StateFile.open(path, { cacheMaxBytes: 1 << 20 });
  firstRun(first);
  first.close();
  const second = StateFile.open(path, { cacheMaxBytes: 1 << 20 });
  t.after(() => second.close());
  assert.deepEqual(secondRun(second), expected);
});

test("a restore from the changelogs into an empty file gives the same results", (t) => {
  const first = StateFile.open(join(tempDir(t), "app", "0_0.sqlite"), { cacheMaxBytes: 1 << 20 });
  t.after(() => first.close());
  const changelog = firstRun(first);
  assert.ok(changelog.some((r) => r.topic === "app-priced-buffer-changelog"), "the buffer writes its changelog");
  assert.ok(changelog.some((r) => r.topic === "app-prices-changelog"), "the versioned table writes its changelog");

  const fresh = StateFile.open(join(tempDir(t), "app", "0_0.sqlite"), { cacheMaxBytes: 1 << 20 });
  t.after(() => fresh.close());
  // Open the stores (as a task does) before restoring into them.
  testTask(pricedOrders, fresh);
  for (const store of ["prices", "priced-buffer"]) {
    const topic = `app-${store}-changelog`;
    const records: RestoreRecord[] = changelog.filter((r) => r.topic === topic).map((r, i) => ({ key: r.key, value: r.value, offset: String(i) }));
    fresh.restore(store, records, new Map([[`${topic}:0`, String(records.length)]]));
  }
  assert.deepEqual(secondRun(fresh), expected);
});
