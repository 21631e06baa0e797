import assert from "node:assert/strict";
import { test } from "node:test";
import { serdes } from "../serdes/serde.ts";
import type { StateFile } from "./state-file.ts";
import { openFile, tempDir } from "./test-fixtures.ts";
import type { RestoreRecord, SessionStore } from "./types.ts";

const MINUTE = 60_000;

function sessions(file: StateFile, retentionMs = 10 * MINUTE): SessionStore<string, string> {
  return file.sessionStore({ name: "ses", keySerde: serdes.string(), valueSerde: serdes.string(), changelogTopic: "app-ses-changelog", changelogPartition: 0, retentionMs });
}

test("findSessions returns the sessions of a key that end at or after earliestEnd and start at or before latestStart", (t) => {
  const store = sessions(openFile(t, tempDir(t)));
  store.put("a", 0, 10, "s1");
  store.put("a", 100, 150, "s2");
  store.put("a", 300, 300, "s3");
  store.put("b", 100, 150, "other key");
  assert.deepEqual(store.findSessions("a", 10, 100).map((s) => [s.start, s.end, s.value]), [[0, 10, "s1"], [100, 150, "s2"]]);
  assert.deepEqual(store.findSessions("a", 11, 299).map((s) => s.value), ["s2"]);
  assert.deepEqual(store.findSessions("a", 151, 1000).map((s) => s.value), ["s3"]);
  assert.equal(store.fetchSession("a", 100, 150), "s2");
  assert.equal(store.fetchSession("a", 100, 151), undefined);
});

test("remove deletes a session with a tombstone keyed by key, start and end", (t) => {
  const file = openFile(t, tempDir(t));
  const store = sessions(file);
  store.put("a", 5, 9, "x");
  file.flush();
  store.remove("a", 5, 9);
  const [record] = file.flush();
  const key = Buffer.alloc(17);
  key.write("a");
  key.writeBigInt64BE(5n, 1);
  key.writeBigInt64BE(9n, 9);
  assert.deepEqual(record!.key, key);
  assert.equal(record!.value, null);
  assert.deepEqual(store.findSessions("a", 0, 100), []);
});

test("sessions that ended at or before stream time minus retention are expired and deleted", (t) => {
  const file = openFile(t, tempDir(t));
  const store = sessions(file, 2 * MINUTE);
  store.put("a", 0, 1000, "old");
  file.commit(new Map([["app-ses-changelog:0", "1"]]));
  store.put("b", 3 * MINUTE, 3 * MINUTE, "new");
  assert.deepEqual(store.findSessions("a", 0, Number.MAX_SAFE_INTEGER), []);
  assert.deepEqual([...store.all()].map((s) => s.value), ["new"]);
  file.commit(new Map([["app-ses-changelog:0", "2"]]));
  assert.equal(store.approximateNumEntries(), 1);
  assert.equal(store.observedStreamTimeMs(), 3 * MINUTE);
});

test("restore brings sessions back and applies tombstones", (t) => {
  const source = openFile(t, tempDir(t));
  const store = sessions(source);
  store.put("a", 0, 10, "first");
  const first = source.flush();
  store.remove("a", 0, 10);
  store.put("a", 0, 40, "merged");
  const records: RestoreRecord[] = [...first, ...source.flush()].map((r, i) => ({ key: r.key, value: r.value, offset: String(i) }));
  const target = openFile(t, tempDir(t));
  const restored = sessions(target);
  target.restore("ses", records, new Map([["app-ses-changelog:0", String(records.length)]]));
  assert.deepEqual([...restored.all()].map((s) => [s.key, s.start, s.end, s.value]), [["a", 0, 40, "merged"]]);
  assert.equal(restored.observedStreamTimeMs(), 40);
});
