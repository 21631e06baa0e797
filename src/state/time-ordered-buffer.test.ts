import assert from "node:assert/strict";
import { test, type TestContext } from "node:test";
import { serdes } from "../serdes/serde.ts";
import type { StateFile } from "./state-file.ts";
import { openFile, tempDir } from "./test-fixtures.ts";
import { bufferedValueSerde, type BufferedRecord, type TimeOrderedBuffer } from "./time-ordered-buffer.ts";

const TOPIC = "app-buf-changelog";

function bufferOf(file: StateFile): TimeOrderedBuffer<string, string> {
  return file.timeOrderedBuffer({ name: "buf", keySerde: serdes.string(), valueSerde: serdes.string(), changelogTopic: TOPIC, changelogPartition: 0 });
}

const summary = (records: BufferedRecord<string, string>[]) => records.map((r) => [r.time, r.key, r.value]);

/** A small deterministic generator, so that a failure can be replayed. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** The records a buffer holding `model` evicts up to `time`: buffer time, then key bytes. */
function dueIn(model: Map<string, BufferedRecord<string, string>>, time: number): (string | number | null)[][] {
  const due = [...model.values()].filter((r) => r.time <= time);
  due.sort((a, b) => a.time - b.time || Buffer.compare(Buffer.from(a.key), Buffer.from(b.key)));
  for (const r of due) model.delete(r.key);
  return summary(due);
}

function openBuffer(t: TestContext): { file: StateFile; buffer: TimeOrderedBuffer<string, string> } {
  const file = openFile(t, tempDir(t));
  return { file, buffer: bufferOf(file) };
}

test("records leave in buffer-time order, then key-byte order, whatever order they were put in and however often replaced", (t) => {
  const { buffer } = openBuffer(t);
  const next = random(7);
  const model = new Map<string, BufferedRecord<string, string>>();
  let now = 0;
  for (let i = 0; i < 5000; i++) {
    const key = `k${Math.floor(next() * 400)}${next() < 0.1 ? "é" : ""}`;
    // A replaced record keeps its buffer time, whether it is put with the same (a window's update) or another.
    const time = model.has(key) && next() < 0.7 ? model.get(key)!.time : now + Math.floor(next() * 50);
    const record = { key, value: next() < 0.05 ? null : `v${i}`, timestamp: i, time };
    buffer.put(record);
    model.set(key, { ...record, time: model.get(key)?.time ?? time });
    if (i % 97 === 0) now += Math.floor(next() * 40);
    if (i % 13 === 0) assert.deepEqual(summary(buffer.evictUpTo(now)), dueIn(model, now), `evictUpTo(${now}) after put ${i}`);
    if (i % 501 === 0 && model.size > 0) {
      const [expected] = dueIn(new Map(model), Number.MAX_SAFE_INTEGER);
      const earliest = buffer.evictEarliest()!;
      assert.deepEqual(summary([earliest])[0], expected, `evictEarliest after put ${i}`);
      model.delete(earliest.key);
    }
    assert.deepEqual(buffer.get(key), model.get(key), `get(${key}) after put ${i}`);
  }
  assert.equal(buffer.numRecords(), model.size);
  assert.deepEqual(summary(buffer.evictUpTo(Number.MAX_SAFE_INTEGER)), dueIn(model, Number.MAX_SAFE_INTEGER));
  assert.equal(buffer.evictEarliest(), undefined);
  assert.equal(buffer.numRecords(), 0);
});

test("a reopened file's buffer holds what was committed, in order", (t) => {
  const dir = tempDir(t);
  const first = openFile(t, dir);
  const buffer = bufferOf(first);
  buffer.put({ key: "b", value: "1", timestamp: 1, time: 20 });
  buffer.put({ key: "a", value: "2", timestamp: 2, time: 20 });
  buffer.put({ key: "c", value: "3", timestamp: 3, time: 10 });
  assert.deepEqual(summary(buffer.evictUpTo(10)), [[10, "c", "3"]]);
  first.flush();
  first.commit(new Map());
  first.close();
  const reopened = bufferOf(openFile(t, dir));
  assert.equal(reopened.get("a")?.value, "2");
  assert.deepEqual(summary(reopened.evictUpTo(30)), [[20, "a", "2"], [20, "b", "1"]]);
});

test("after a rollback the buffer holds what was last committed: puts undone, evicted records back", (t) => {
  const { file, buffer } = openBuffer(t);
  buffer.put({ key: "a", value: "1", timestamp: 1, time: 10 });
  buffer.put({ key: "b", value: "1", timestamp: 1, time: 30 });
  file.flush();
  file.commit(new Map());
  buffer.put({ key: "c", value: "1", timestamp: 2, time: 5 });
  buffer.put({ key: "b", value: "2", timestamp: 2, time: 40 });
  assert.deepEqual(summary(buffer.evictUpTo(10)), [[5, "c", "1"], [10, "a", "1"]]);
  file.rollback();
  assert.equal(buffer.get("c"), undefined);
  assert.deepEqual(summary(buffer.evictUpTo(100)), [[10, "a", "1"], [30, "b", "1"]]);
});

test("a restore's records are in the buffer at once, and the records it deletes are gone", (t) => {
  const { file, buffer } = openBuffer(t);
  buffer.put({ key: "x", value: "old", timestamp: 1, time: 15 });
  file.flush();
  file.commit(new Map());
  assert.equal(buffer.get("x")?.value, "old", "the buffer has loaded its records before the restore");
  const value = (time: number, v: string) => bufferedValueSerde(serdes.string()).serialize({ time, timestamp: 0, value: v }, TOPIC);
  file.restore(
    "buf",
    [
      { key: Buffer.from("y"), value: value(12, "restored"), offset: "0" },
      { key: Buffer.from("x"), value: null, offset: "1" },
    ],
    new Map([[`${TOPIC}:0`, "2"]]),
  );
  assert.equal(buffer.get("x"), undefined);
  assert.deepEqual(summary(buffer.evictUpTo(20)), [[12, "y", "restored"]]);
});

test("a record leaves with the value it was put with, whatever happened to the object since", (t) => {
  const file = openFile(t, tempDir(t));
  const buffer = file.timeOrderedBuffer<string, { count: number }>({ name: "objects", keySerde: serdes.string(), valueSerde: serdes.json(), changelogTopic: "app-objects-changelog", changelogPartition: 0 });
  const aggregate = { count: 1 };
  buffer.put({ key: "a", value: aggregate, timestamp: 1, time: 10 });
  // An aggregator that updates its object in place, or a processor downstream of the emission, changes it later.
  aggregate.count = 99;
  assert.deepEqual(buffer.get("a")?.value, { count: 1 });
  const [evicted] = buffer.evictUpTo(10);
  assert.deepEqual(evicted?.value, { count: 1 });
  assert.notEqual(evicted?.value, aggregate, "a copy, not the caller's object");
});
