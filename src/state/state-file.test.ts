import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import type { Database } from "better-sqlite3";
import { serdes } from "../serdes/serde.ts";
import { CACHE_ENTRY_OVERHEAD_BYTES } from "./key-value-store.ts";
import { StateFile, stateFilePath } from "./state-file.ts";
import { entries, openFile, stringStore, tempDir } from "./test-fixtures.ts";
import { changelogPartitionKey } from "./types.ts";

const cp = (offset: string) => new Map([[changelogPartitionKey("app-counts-changelog", 0), offset]]);

test("the file of a task lives at <stateDir>/<applicationId>/<taskId>.sqlite", () => {
  assert.equal(stateFilePath("/var/weir", "payments", "1_3"), join("/var/weir", "payments", "1_3.sqlite"));
});

test("committed data and checkpoint survive close and reopen", (t) => {
  const dir = tempDir(t);
  const first = openFile(t, dir);
  stringStore(first).put("a", "1");
  first.flush();
  first.commit(cp("42"));
  first.close();
  const second = openFile(t, dir);
  assert.equal(second.rebuilt, false);
  assert.equal(stringStore(second).get("a"), "1");
  assert.deepEqual(second.checkpoint(), cp("42"));
});

test("commit keeps the checkpoint rows of partitions it does not name", (t) => {
  const file = openFile(t, tempDir(t));
  file.commit(new Map([["a:0", "5"], ["b:1", "7"]]));
  file.commit(new Map([["a:0", "9"]]));
  assert.deepEqual(file.checkpoint(), new Map([["a:0", "9"], ["b:1", "7"]]));
});

test("writes not committed are gone after close and reopen", (t) => {
  const dir = tempDir(t);
  const first = openFile(t, dir, 0);
  stringStore(first).put("a", "1");
  first.close();
  assert.equal(stringStore(openFile(t, dir)).get("a"), undefined);
});

test("rollback returns the store to the last commit", (t) => {
  const file = openFile(t, tempDir(t));
  const store = stringStore(file);
  store.put("a", "1");
  file.commit(cp("1"));
  store.put("a", "2");
  store.put("b", "2");
  file.flush();
  store.put("c", "3");
  file.rollback();
  assert.equal(store.get("a"), "1");
  assert.equal(store.get("b"), undefined);
  assert.deepEqual(entries(store.all()), [["a", "1"]]);
  assert.deepEqual(file.checkpoint(), cp("1"));
  assert.equal(file.status, "idle");
});

test("rollback also undoes entries an eviction flushed into SQLite mid-transaction", (t) => {
  const file = openFile(t, tempDir(t), 2 * (CACHE_ENTRY_OVERHEAD_BYTES + 2));
  const store = stringStore(file);
  store.put("a", "1");
  file.commit(new Map());
  for (const k of ["a", "b", "c", "d"]) store.put(k, "9");
  assert.ok(store.approximateNumEntries() > 1, "the eviction wrote to SQLite");
  file.rollback();
  assert.deepEqual(entries(store.all()), [["a", "1"]]);
  assert.equal(store.approximateNumEntries(), 1);
});

test("rollback drops changelog records not yet taken by flush", (t) => {
  const file = openFile(t, tempDir(t), 0);
  stringStore(file).put("a", "1");
  file.rollback();
  assert.deepEqual(file.flush(), []);
});

test("commit flushes what is still dirty and leaves its records for the next flush", (t) => {
  const dir = tempDir(t);
  const file = openFile(t, dir);
  stringStore(file).put("a", "1");
  file.commit(new Map());
  assert.deepEqual(file.flush().map((r) => r.key.toString()), ["a"]);
  file.close();
  assert.equal(stringStore(openFile(t, dir)).get("a"), "1");
});

test("the status is idle until a write, active until commit or rollback", (t) => {
  const file = openFile(t, tempDir(t));
  const store = stringStore(file);
  assert.equal(file.status, "idle");
  store.get("a");
  assert.equal(file.status, "idle");
  store.put("a", "1");
  assert.equal(file.status, "active");
  file.commit(new Map());
  assert.equal(file.status, "idle");
});

test("every call after close throws WEIR_STATE_CLOSED, and a second close does nothing", (t) => {
  const file = openFile(t, tempDir(t));
  const store = stringStore(file);
  file.close();
  file.close();
  assert.equal(file.status, "closed");
  for (const call of [() => store.get("a"), () => store.put("a", "1"), () => store.all().next(), () => file.flush(), () => file.commit(new Map()), () => file.rollback(), () => file.checkpoint(), () => file.sizeBytes()]) {
    assert.throws(call, { code: "WEIR_STATE_CLOSED" });
  }
});

test("a failed SQLite write leaves the file failed: only rollback or close are accepted", (t) => {
  const file = openFile(t, tempDir(t), 0);
  const store = stringStore(file);
  store.put("seed", "x");
  file.commit(new Map());
  // A full disk, simulated: the file may not grow past its current pages.
  const db = (file as unknown as { db: Database }).db;
  db.pragma(`max_page_count = ${db.pragma("page_count", { simple: true }) as number}`);
  assert.throws(() => {
    for (let i = 0; i < 1000; i++) store.put(`k${i}`, "v".repeat(1000));
  }, { code: "WEIR_STATE_WRITE_FAILED" });
  assert.equal(file.status, "failed");
  assert.throws(() => store.get("seed"), { code: "WEIR_STATE_WRONG_STATUS" });
  assert.throws(() => file.commit(new Map()), { code: "WEIR_STATE_WRONG_STATUS" });
  file.rollback();
  assert.equal(file.status, "idle");
  assert.equal(store.get("seed"), "x");
  assert.equal(store.get("k0"), undefined);
});

test("asking twice for a store returns the same instance; a different changelog for it is refused", (t) => {
  const file = openFile(t, tempDir(t));
  assert.equal(stringStore(file), stringStore(file));
  assert.throws(
    () => file.keyValueStore({ name: "counts", keySerde: serdes.string(), valueSerde: serdes.string(), changelogTopic: "other", changelogPartition: 0 }),
    { code: "WEIR_STATE_STORE_INVALID" },
  );
});

test("a new store is refused while writes are uncommitted, an already open one is not", (t) => {
  const file = openFile(t, tempDir(t));
  const first = stringStore(file, "first");
  first.put("a", "1");
  assert.equal(stringStore(file, "first"), first);
  assert.throws(() => stringStore(file, "second"), { code: "WEIR_STATE_WRONG_STATUS" });
});

test("a store name outside [A-Za-z0-9._-] is refused", (t) => {
  const file = openFile(t, tempDir(t));
  for (const name of ['a"b', "a b", "", "x;DROP TABLE weir_checkpoint"]) {
    assert.throws(() => stringStore(file, name), { code: "WEIR_STATE_STORE_INVALID" });
  }
});

test("a checkpoint key that is not topic:partition is refused before anything is written", (t) => {
  const file = openFile(t, tempDir(t));
  stringStore(file).put("a", "1");
  assert.throws(() => file.commit(new Map([["no-partition", "1"]])), { code: "WEIR_STATE_CHECKPOINT_INVALID" });
  assert.throws(() => file.commit(new Map([["t:0", "-1"]])), { code: "WEIR_STATE_CHECKPOINT_INVALID" });
  assert.equal(file.status, "active");
});

test("sizeBytes counts the file and its WAL and grows with data", (t) => {
  const file = openFile(t, tempDir(t));
  const before = file.sizeBytes();
  const store = stringStore(file);
  for (let i = 0; i < 2000; i++) store.put(`k${i}`, "v".repeat(100));
  file.commit(new Map());
  assert.ok(file.sizeBytes() > before + 200_000);
});

test("an in-memory file behaves like a file on disk", () => {
  const file = StateFile.inMemory({ cacheMaxBytes: 1024 });
  try {
    const store = stringStore(file);
    store.put("b", "2");
    store.put("a", "1");
    file.commit(new Map([["t:0", "3"]]));
    store.put("a", "x");
    file.rollback();
    assert.deepEqual(entries(store.all()), [["a", "1"], ["b", "2"]]);
    assert.deepEqual(file.checkpoint(), new Map([["t:0", "3"]]));
    assert.ok(file.sizeBytes() > 0);
  } finally {
    file.close();
  }
});

test("a negative or fractional cacheMaxBytes is refused", (t) => {
  const dir = tempDir(t);
  assert.throws(() => StateFile.open(join(dir, "x.sqlite"), { cacheMaxBytes: -1 }), { code: "WEIR_STATE_OPTIONS_INVALID" });
  assert.throws(() => StateFile.inMemory({ cacheMaxBytes: 1.5 }), { code: "WEIR_STATE_OPTIONS_INVALID" });
});
