import assert from "node:assert/strict";
import { test } from "node:test";
import { serdes } from "../serdes/serde.ts";
import type { StateFile } from "./state-file.ts";
import { openFile, tempDir } from "./test-fixtures.ts";
import type { RestoreRecord, WindowStore } from "./types.ts";

const MINUTE = 60_000;

function windows(file: StateFile, retentionMs = 10 * MINUTE, name = "win"): WindowStore<string, number> {
  return file.windowStore({ name, keySerde: serdes.string(), valueSerde: serdes.int64(), changelogTopic: `app-${name}-changelog`, changelogPartition: 0, windowSizeMs: MINUTE, retentionMs });
}

function commit(file: StateFile, offset = "1"): void {
  file.commit(new Map([["app-win-changelog:0", offset]]));
}

test("a window store returns what was put per key and window start, with its timestamp", (t) => {
  const store = windows(openFile(t, tempDir(t)));
  store.put("a", 0, 1, 10);
  store.put("a", MINUTE, 2, MINUTE + 5);
  store.put("b", 0, 3, 20);
  assert.deepEqual(store.fetch("a", 0), { value: 1, timestamp: 10 });
  assert.deepEqual(store.fetch("a", MINUTE), { value: 2, timestamp: MINUTE + 5 });
  assert.equal(store.fetch("a", 2 * MINUTE), undefined);
  assert.deepEqual(
    store.fetchRange("a", 0, MINUTE).map((e) => [e.key, e.start, e.end, e.value]),
    [["a", 0, MINUTE, 1], ["a", MINUTE, 2 * MINUTE, 2]],
  );
  assert.deepEqual(store.fetchRange("a", 1, MINUTE).map((e) => e.start), [MINUTE], "the bounds are on the window start, inclusive");
  assert.deepEqual([...store.fetchAll(0, 0)].map((e) => [e.key, e.value]), [["a", 1], ["b", 3]]);
  assert.deepEqual([...store.all()].map((e) => [e.key, e.start]), [["a", 0], ["a", MINUTE], ["b", 0]]);
});

test("the changelog key is the key's bytes and the 8-byte window start; the value leads with the timestamp", (t) => {
  const file = openFile(t, tempDir(t));
  const store = windows(file);
  store.put("k", 3 * MINUTE, 7, 3 * MINUTE + 1);
  store.put("k", 3 * MINUTE, 8, 3 * MINUTE + 2);
  const [record, ...rest] = file.flush();
  assert.equal(rest.length, 0, "two puts of one window in one flush are one changelog record");
  const key = Buffer.alloc(9);
  key.write("k");
  key.writeBigInt64BE(BigInt(3 * MINUTE), 1);
  assert.deepEqual(record!.key, key);
  assert.equal(Number(record!.value!.readBigInt64BE(0)), 3 * MINUTE + 2);
  assert.equal(Number(record!.value!.readBigInt64BE(8)), 8);
});

test("putting null deletes the window and writes a tombstone", (t) => {
  const file = openFile(t, tempDir(t));
  const store = windows(file);
  store.put("a", 0, 1, 1);
  file.flush();
  store.put("a", 0, null, 2);
  const records = file.flush();
  assert.equal(records.length, 1);
  assert.equal(records[0]!.value, null);
  assert.equal(store.fetch("a", 0), undefined);
  assert.deepEqual(store.fetchRange("a", 0, 0), []);
});

test("windows that start at or before stream time minus retention are expired: hidden, then deleted", (t) => {
  const file = openFile(t, tempDir(t));
  const store = windows(file, 2 * MINUTE);
  store.put("a", 0, 1, 30_000);
  commit(file);
  // Stream time 2 min: the window starting at 0 is at the cutoff (0 < 2 min − 2 min + 1 ms), so expired.
  store.put("a", 2 * MINUTE, 2, 2 * MINUTE);
  assert.equal(store.fetch("a", 0), undefined);
  assert.deepEqual(store.fetchRange("a", 0, 10 * MINUTE).map((e) => e.start), [2 * MINUTE]);
  store.put("a", 0, 9, 2 * MINUTE);
  assert.equal(store.fetch("a", 0), undefined, "a put into an expired window is ignored");
  // The row is gone from SQLite, not only hidden: the table counts one window.
  commit(file, "2");
  assert.equal(store.approximateNumEntries(), 1);
});

test("the store's stream time is the largest record timestamp and comes back from the file after a restart", (t) => {
  const dir = tempDir(t);
  const file = openFile(t, dir);
  const store = windows(file);
  assert.equal(store.observedStreamTimeMs(), -1);
  store.put("a", 0, 1, 50);
  store.put("b", MINUTE, 1, MINUTE + 7);
  store.put("a", 0, 2, 55);
  assert.equal(store.observedStreamTimeMs(), MINUTE + 7);
  commit(file);
  file.close();
  const again = windows(openFile(t, dir));
  assert.equal(again.observedStreamTimeMs(), MINUTE + 7);
  assert.deepEqual(again.fetch("a", 0), { value: 2, timestamp: 55 });
});

test("a rollback forgets uncommitted windows and the stream time they moved", (t) => {
  const file = openFile(t, tempDir(t));
  const store = windows(file);
  store.put("a", 0, 1, 10);
  commit(file);
  store.put("a", 5 * MINUTE, 1, 5 * MINUTE);
  file.rollback();
  assert.equal(store.fetch("a", 5 * MINUTE), undefined);
  assert.equal(store.observedStreamTimeMs(), 10);
});

test("restore replays the changelog's windows and tombstones into a fresh file", (t) => {
  const source = openFile(t, tempDir(t));
  const store = windows(source);
  store.put("a", 0, 1, 10);
  store.put("b", 0, 2, 20);
  const first = source.flush();
  store.put("a", 0, null, 30);
  store.put("b", MINUTE, 4, MINUTE);
  const records: RestoreRecord[] = [...first, ...source.flush()].map((r, i) => ({ key: r.key, value: r.value, offset: String(i) }));

  const target = openFile(t, tempDir(t));
  const restored = windows(target);
  target.restore("win", records, new Map([["app-win-changelog:0", String(records.length)]]));
  assert.equal(restored.fetch("a", 0), undefined);
  assert.deepEqual([...restored.all()].map((e) => [e.key, e.start, e.value, e.timestamp]), [["b", 0, 2, 20], ["b", MINUTE, 4, MINUTE]]);
  assert.equal(restored.observedStreamTimeMs(), MINUTE);
});

test("a store name opened as a key-value store cannot be opened as a window store", (t) => {
  const file = openFile(t, tempDir(t));
  file.keyValueStore({ name: "win", keySerde: serdes.string(), valueSerde: serdes.string(), changelogTopic: "app-win-changelog", changelogPartition: 0 });
  assert.throws(() => windows(file), /already open as a keyValue store/);
});
