import assert from "node:assert/strict";
import { test } from "node:test";
import { bytesStore, entries, openFile, stringStore, tempDir } from "./test-fixtures.ts";
import type { RestoreRecord } from "./types.ts";

let offset = 0;
function rec(key: string, value: string | null): RestoreRecord {
  return { key: Buffer.from(key), value: value === null ? null : Buffer.from(value), offset: String(offset++) };
}
const cp = (next: string) => new Map([["app-counts-changelog:0", next]]);

test("restore applies puts and tombstones, the last record of a key winning, and writes the checkpoint", (t) => {
  const file = openFile(t, tempDir(t));
  const store = stringStore(file);
  file.restore("counts", [rec("b", "1"), rec("a", "1"), rec("b", "2"), rec("c", "1"), rec("c", null), rec("d", null), rec("d", "4")], cp("7"));
  assert.deepEqual(entries(store.all()), [["a", "1"], ["b", "2"], ["d", "4"]]);
  assert.deepEqual(file.checkpoint(), cp("7"));
  assert.equal(file.status, "idle");
});

test("a restored tombstone deletes a key already in the store", (t) => {
  const file = openFile(t, tempDir(t));
  const store = stringStore(file);
  file.restore("counts", [rec("a", "1"), rec("b", "1")], cp("2"));
  file.restore("counts", [rec("a", null), rec("b", "2")], cp("4"));
  assert.deepEqual(entries(store.all()), [["b", "2"]]);
  assert.deepEqual(file.checkpoint(), cp("4"));
});

test("restore is committed at once: it survives close and reopen", (t) => {
  const dir = tempDir(t);
  const first = openFile(t, dir);
  stringStore(first);
  first.restore("counts", [rec("a", "1")], cp("1"));
  first.close();
  const second = openFile(t, dir);
  assert.equal(stringStore(second).get("a"), "1");
  assert.deepEqual(second.checkpoint(), cp("1"));
});

test("reads after restore see the restored values, not entries cached before it", (t) => {
  const file = openFile(t, tempDir(t));
  const store = stringStore(file);
  assert.equal(store.get("a"), undefined);
  file.restore("counts", [rec("a", "1")], cp("1"));
  assert.equal(store.get("a"), "1");
  assert.equal(store.approximateNumEntries(), 1);
});

test("restore of many keys in one batch keeps all of them", (t) => {
  const file = openFile(t, tempDir(t));
  const store = stringStore(file);
  const batch: RestoreRecord[] = [];
  for (let i = 0; i < 5000; i++) batch.push(rec(`k${(i * 7919) % 5000}`, String(i)));
  file.restore("counts", batch, cp("5000"));
  assert.equal(store.approximateNumEntries(), 5000);
  assert.equal(store.get("k7919"), undefined);
  assert.equal(store.get("k2919"), "1");
});

test("restore writes every key and value byte for byte: short and long keys, empty and large values, repeats and tombstones over several batches", (t) => {
  const file = openFile(t, tempDir(t));
  const store = bytesStore(file);
  let seed = 7;
  const random = (n: number) => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed % n;
  };
  const model = new Map<string, string>();
  let next = 0;
  for (let b = 0; b < 6; b++) {
    const batch: RestoreRecord[] = [];
    for (let i = 0; i < 700; i++) {
      // Keys of 1..40 bytes over a space small enough to repeat; values of 0..100 bytes, now and then 200,000
      // (past the packed rows' buffer), now and then a tombstone.
      const key = Buffer.from(Array.from({ length: 1 + random(40) }, () => 97 + random(3)));
      const roll = random(100);
      const value = roll < 10 ? null : Buffer.alloc(roll === 99 ? 200_000 : random(101), 48 + random(10));
      batch.push({ key, value, offset: String(next++) });
      if (value === null) model.delete(key.toString("latin1"));
      else model.set(key.toString("latin1"), value.toString("latin1"));
    }
    file.restore("raw", batch, cp(String(next)));
  }
  const expected = [...model].sort(([a], [b]) => Buffer.compare(Buffer.from(a, "latin1"), Buffer.from(b, "latin1")));
  const actual = entries(store.all()).map(([k, v]) => [k.toString("latin1"), v] as [string, string]);
  assert.equal(actual.length, expected.length);
  assert.deepEqual(actual, expected);
});

test("restore is refused while processing writes are uncommitted", (t) => {
  const file = openFile(t, tempDir(t));
  const store = stringStore(file);
  store.put("a", "1");
  assert.throws(() => file.restore("counts", [rec("b", "1")], cp("1")), { code: "WEIR_STATE_WRONG_STATUS" });
  file.rollback();
  file.restore("counts", [rec("b", "1")], cp("1"));
  assert.equal(store.get("b"), "1");
});

test("restore of a store not opened with keyValueStore is refused", (t) => {
  const file = openFile(t, tempDir(t));
  assert.throws(() => file.restore("nope", [rec("a", "1")], cp("1")), { code: "WEIR_STATE_STORE_INVALID" });
});

test("an empty batch still moves the checkpoint", (t) => {
  const file = openFile(t, tempDir(t));
  stringStore(file);
  file.restore("counts", [], cp("10"));
  assert.deepEqual(file.checkpoint(), cp("10"));
});
