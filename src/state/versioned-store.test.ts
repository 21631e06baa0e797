import assert from "node:assert/strict";
import { test } from "node:test";
import { serdes } from "../serdes/serde.ts";
import type { StateFile } from "./state-file.ts";
import { openFile, tempDir } from "./test-fixtures.ts";
import type { RestoreRecord } from "./types.ts";
import { NOT_PUT, VALID_TO_UNDEFINED, type VersionedKeyValueStore } from "./versioned-store.ts";

const TOPIC = "app-ver-changelog";

function versioned(file: StateFile, historyRetentionMs = 100, name = "ver"): VersionedKeyValueStore<string, string> {
  return file.versionedStore({ name, keySerde: serdes.string(), valueSerde: serdes.string(), changelogTopic: TOPIC, changelogPartition: 0, historyRetentionMs });
}

test("a versioned store answers the latest version and the version valid as of a time", (t) => {
  const store = versioned(openFile(t, tempDir(t)));
  assert.equal(store.put("a", "v10", 10), VALID_TO_UNDEFINED);
  assert.equal(store.put("a", "v30", 30), VALID_TO_UNDEFINED);
  assert.equal(store.put("a", "v20", 20), 30, "an out-of-order put returns the next version's timestamp");
  assert.deepEqual(store.get("a"), { value: "v30", timestamp: 30 });
  assert.equal(store.get("a", 9), undefined, "nothing was valid before the first version");
  assert.deepEqual(store.get("a", 10), { value: "v10", timestamp: 10, validTo: 20 });
  assert.deepEqual(store.get("a", 25), { value: "v20", timestamp: 20, validTo: 30 });
  assert.deepEqual(store.get("a", 1000), { value: "v30", timestamp: 30 });
  assert.equal(store.get("b"), undefined);
  store.put("a", "v20b", 20);
  assert.deepEqual(store.get("a", 20), { value: "v20b", timestamp: 20, validTo: 30 }, "a put at an existing timestamp replaces that version");
});

test("a delete is a tombstone with a timestamp: the key has no value from then, its history stays", (t) => {
  const store = versioned(openFile(t, tempDir(t)));
  store.put("a", "v10", 10);
  assert.deepEqual(store.delete("a", 20), { value: "v10", timestamp: 10 }, "delete returns the version valid at its time");
  assert.equal(store.get("a"), undefined);
  assert.equal(store.get("a", 25), undefined);
  assert.deepEqual(store.get("a", 15), { value: "v10", timestamp: 10, validTo: 20 });
  store.put("a", null, 5);
  assert.equal(store.get("a", 7), undefined, "put(null) is a tombstone too");
  assert.deepEqual(store.get("a", 10), { value: "v10", timestamp: 10, validTo: 20 });
});

test("a put older than stream time minus the history retention is refused, and reads before it find only a newest version", (t) => {
  const store = versioned(openFile(t, tempDir(t)), 100);
  store.put("a", "v50", 50);
  store.put("b", "w200", 200);
  assert.equal(store.observedStreamTimeMs(), 200);
  assert.equal(store.put("a", "late", 99), NOT_PUT, "99 < 200 - 100");
  assert.equal(store.put("a", "v100", 100), VALID_TO_UNDEFINED, "100 = 200 - 100 is still accepted");
  assert.equal(store.get("a", 99), undefined, "a read before stream time − retention finds nothing");
  assert.deepEqual(store.get("a", 100), { value: "v100", timestamp: 100 });
  assert.equal(store.delete("b", 50), undefined);
  assert.deepEqual(store.get("b"), { value: "w200", timestamp: 200 }, "an expired delete changes nothing");
});

test("versions no read can reach are dropped with changelog tombstones; the newest stays whatever its age", (t) => {
  const file = openFile(t, tempDir(t));
  const store = versioned(file, 100);
  store.put("a", "v10", 10);
  store.put("a", "v20", 20);
  store.put("a", "v30", 30);
  store.put("b", "only", 40);
  file.flush();
  store.put("a", "v150", 150);
  // stream time 150, cutoff 50: v30 is valid at 50 and stays; v10 and v20 are unreachable.
  const records = file.flush();
  const tombstones = records.filter((r) => r.value === null).map((r) => Number(r.key.readBigInt64BE(r.key.length - 8))).sort((x, y) => x - y);
  assert.deepEqual(tombstones, [10, 20]);
  assert.deepEqual(store.get("a", 50), { value: "v30", timestamp: 30, validTo: 150 });
  assert.equal(store.approximateNumEntries(), 3, "a@30, a@150 and b@40");
  store.put("c", "x", 1000);
  assert.deepEqual(store.get("b"), { value: "only", timestamp: 40 }, "the newest version of a key is kept past the retention");
  assert.deepEqual(store.get("b", 800), { value: "only", timestamp: 40 }, "and answers reads as of a time before the cutoff");
  assert.deepEqual(store.get("a", 800), { value: "v150", timestamp: 150 }, "a's newest version is valid at 800");
  assert.equal(store.get("a", 100), undefined, "a version before the newest is not found past the cutoff, though held");
});

test("a restore from the changelog rebuilds the history exactly, tombstones and expiry included", (t) => {
  const dir = tempDir(t);
  const source = openFile(t, dir);
  const store = versioned(source, 100);
  store.put("a", "v10", 10);
  store.put("a", "v30", 30);
  store.put("a", "v20", 20);
  store.delete("a", 40);
  store.put("b", "w5", 5);
  const first = source.flush();
  store.put("a", "v200", 200);
  const second = source.flush();
  const records: RestoreRecord[] = [...first, ...second].map((r, i) => ({ key: r.key, value: r.value, offset: String(i) }));

  const target = openFile(t, tempDir(t));
  const restored = versioned(target, 100);
  target.restore("ver", records, new Map([[`${TOPIC}:0`, String(records.length)]]));
  for (const time of [100, 150, 199, 200, 1000]) assert.deepEqual(restored.get("a", time), store.get("a", time), `as of ${time}`);
  assert.equal(restored.get("a", 99), undefined);
  assert.deepEqual(restored.get("a"), { value: "v200", timestamp: 200 });
  assert.deepEqual(restored.get("b"), { value: "w5", timestamp: 5 });
  assert.equal(restored.observedStreamTimeMs(), 200, "stream time comes back from the versions held");
  assert.equal(restored.put("b", "late", 99), NOT_PUT, "so the retention still refuses late puts after a restore");
  assert.equal(restored.approximateNumEntries(), store.approximateNumEntries());
});

test("a rollback forgets uncommitted versions and the stream time they moved", (t) => {
  const file = openFile(t, tempDir(t));
  const store = versioned(file, 10);
  store.put("a", "v10", 10);
  file.flush();
  file.commit(new Map([[`${TOPIC}:0`, "1"]]));
  store.put("a", "v500", 500);
  file.rollback();
  assert.deepEqual(store.get("a"), { value: "v10", timestamp: 10 });
  assert.equal(store.observedStreamTimeMs(), 10);
  assert.equal(store.put("a", "v5", 5), 10, "5 is within the retention of the committed stream time");
});
