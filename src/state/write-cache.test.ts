import assert from "node:assert/strict";
import { test } from "node:test";
import { CACHE_ENTRY_OVERHEAD_BYTES } from "./key-value-store.ts";
import { entries, openFile, stringStore, tempDir } from "./test-fixtures.ts";

function summary(records: { key: Buffer; value: Buffer | null; topic: string }[]): [string, string | null][] {
  return records.map((r) => [r.key.toString(), r.value === null ? null : r.value.toString()]);
}

test("repeated updates of a key become one changelog record per flush, with the last value", (t) => {
  const file = openFile(t, tempDir(t));
  const store = stringStore(file);
  for (let i = 1; i <= 5; i++) store.put("a", String(i));
  store.put("b", "x");
  const records = file.flush();
  assert.deepEqual(summary(records), [["a", "5"], ["b", "x"]]);
  assert.equal(records[0]!.topic, "app-counts-changelog");
  assert.equal(records[0]!.partition, 0);
  store.put("a", "6");
  assert.deepEqual(summary(file.flush()), [["a", "6"]]);
});

test("flush returns records sorted by key bytes, and nothing when nothing changed", (t) => {
  const file = openFile(t, tempDir(t));
  const store = stringStore(file);
  for (const k of ["c", "a", "b"]) store.put(k, k);
  assert.deepEqual(summary(file.flush()).map(([k]) => k), ["a", "b", "c"]);
  assert.deepEqual(file.flush(), []);
});

test("with cacheMaxBytes 0 every write yields its own changelog record", (t) => {
  const file = openFile(t, tempDir(t), 0);
  const store = stringStore(file);
  store.put("a", "1");
  store.put("a", "2");
  store.delete("a");
  assert.deepEqual(summary(file.flush()), [["a", "1"], ["a", "2"], ["a", null]]);
});

test("a delete of a committed key becomes a tombstone record", (t) => {
  const file = openFile(t, tempDir(t));
  const store = stringStore(file);
  store.put("a", "1");
  file.flush();
  file.commit(new Map());
  store.delete("a");
  assert.deepEqual(summary(file.flush()), [["a", null]]);
});

test("reads are served from the cache: a put is not in SQLite until a flush", (t) => {
  const file = openFile(t, tempDir(t));
  const store = stringStore(file);
  store.put("a", "1");
  assert.equal(store.approximateNumEntries(), 0);
  file.flush();
  assert.equal(store.approximateNumEntries(), 1);
});

test("a cache past its budget flushes its dirty entries into SQLite and queues their records for the next flush", (t) => {
  const file = openFile(t, tempDir(t), 3 * (CACHE_ENTRY_OVERHEAD_BYTES + 2));
  const store = stringStore(file);
  store.put("a", "1");
  store.put("b", "2");
  store.put("c", "3");
  assert.equal(store.approximateNumEntries(), 0);
  store.put("d", "4");
  assert.equal(store.approximateNumEntries(), 4);
  store.put("a", "10");
  assert.deepEqual(summary(file.flush()), [["a", "1"], ["b", "2"], ["c", "3"], ["d", "4"], ["a", "10"]]);
  assert.deepEqual(entries(store.all()), [["a", "10"], ["b", "2"], ["c", "3"], ["d", "4"]]);
});

test("one budget covers all the stores of a file", (t) => {
  const file = openFile(t, tempDir(t), 2 * (CACHE_ENTRY_OVERHEAD_BYTES + 2));
  const a = stringStore(file, "a");
  const b = stringStore(file, "b");
  a.put("x", "1");
  b.put("y", "2");
  assert.equal(a.approximateNumEntries() + b.approximateNumEntries(), 0);
  b.put("z", "3");
  assert.equal(a.approximateNumEntries() + b.approximateNumEntries(), 3);
});

test("past its budget a cache keeps the newer half of its entries, the keys being worked on, and drops the older ones", (t) => {
  const file = openFile(t, tempDir(t), 4 * (CACHE_ENTRY_OVERHEAD_BYTES + 2));
  const store = stringStore(file);
  for (const k of ["a", "b", "c", "d", "e"]) store.put(k, k.toUpperCase());
  const cached = [...(store as unknown as { cache: Map<string, unknown> }).cache.keys()];
  assert.deepEqual(cached, ["c", "d", "e"], "a, b (cached first) dropped once all five were flushed");
  assert.equal(store.approximateNumEntries(), 5, "every entry reached SQLite before any was dropped");
  assert.deepEqual(entries(store.all()), [["a", "A"], ["b", "B"], ["c", "C"], ["d", "D"], ["e", "E"]]);
  assert.equal(store.get("a"), "A", "a dropped entry is read back from SQLite");
});

test("a key read as absent is inserted by the flush, and a key deleted by a flush is inserted again after it", (t) => {
  const file = openFile(t, tempDir(t));
  const store = stringStore(file);
  assert.equal(store.get("a"), undefined);
  store.put("a", "1");
  store.put("b", "1");
  assert.deepEqual(summary(file.flush()), [["a", "1"], ["b", "1"]]);
  assert.equal(store.approximateNumEntries(), 2);
  store.put("a", "2");
  store.delete("b");
  assert.deepEqual(summary(file.flush()), [["a", "2"], ["b", null]]);
  store.put("b", "3");
  assert.equal(store.get("c"), undefined);
  store.put("c", "1");
  store.delete("c");
  assert.deepEqual(summary(file.flush()), [["b", "3"], ["c", null]], "c, put and deleted between flushes, still reaches the changelog as a tombstone");
  assert.equal(store.approximateNumEntries(), 2);
  assert.deepEqual(entries(store.all()), [["a", "2"], ["b", "3"]], "the rows in SQLite");
});
