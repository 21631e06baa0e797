import { test } from "node:test";
import assert from "node:assert/strict";
import { openFile, tempDir } from "./test-fixtures.ts";
import type { StateFile } from "./state-file.ts";
import { TimerStore, timerStoreKey, timerStoreSerdes } from "./timer-store.ts";

function timerStore(file: StateFile): TimerStore {
  return new TimerStore(file.keyValueStore({ name: "p-timers", ...timerStoreSerdes, changelogTopic: "app-p-timers-changelog", changelogPartition: 0 }));
}

const k = (s: string) => Buffer.from(s);
const summary = (due: { timeMs: number; key: Buffer; payload: unknown }[]) => due.map((t) => [t.timeMs, t.key.toString(), t.payload]);

test("timers come out in time order, then key order, whatever the order they were registered in", (t) => {
  const timers = timerStore(openFile(t, tempDir(t)));
  timers.put("eventTime", 5_000, k("b"), undefined);
  timers.put("eventTime", 2 ** 40 + 1, k("a"), undefined); // beyond 32 bits: the high word orders too
  timers.put("eventTime", 1_000, k("z"), { n: 1 });
  timers.put("eventTime", 5_000, k("a"), undefined);
  const { due, nextMs } = timers.due("eventTime", 10_000, 100);
  assert.deepEqual(summary(due), [[1_000, "z", { n: 1 }], [5_000, "a", undefined], [5_000, "b", undefined]]);
  assert.equal(nextMs, 2 ** 40 + 1);
});

test("event-time and processing-time timers are kept apart", (t) => {
  const timers = timerStore(openFile(t, tempDir(t)));
  timers.put("processingTime", 1, k("p"), undefined);
  timers.put("eventTime", 7, k("e"), undefined);
  assert.deepEqual(summary(timers.due("eventTime", 100, 10).due), [[7, "e", undefined]]);
  assert.deepEqual(summary(timers.due("processingTime", 100, 10).due), [[1, "p", undefined]]);
  assert.equal(timers.earliest("eventTime"), 7);
  assert.equal(timers.earliest("processingTime"), 1);
});

test("due() stops at the limit and says where the rest starts", (t) => {
  const timers = timerStore(openFile(t, tempDir(t)));
  for (let i = 0; i < 5; i++) timers.put("eventTime", i, k("x"), undefined);
  const { due, nextMs } = timers.due("eventTime", 100, 2);
  assert.deepEqual(due.map((d) => d.timeMs), [0, 1]);
  assert.equal(nextMs, 2);
});

test("a deleted timer is gone, and deleting it again reports that there was none", (t) => {
  const timers = timerStore(openFile(t, tempDir(t)));
  timers.put("eventTime", 10, k("a"), undefined);
  assert.equal(timers.delete("eventTime", 10, k("a")), true);
  assert.equal(timers.delete("eventTime", 10, k("a")), false);
  assert.equal(timers.earliest("eventTime"), undefined);
});

test("registering a timer again replaces its payload: one timer per type, time and key", (t) => {
  const timers = timerStore(openFile(t, tempDir(t)));
  timers.put("eventTime", 10, k("a"), "first");
  timers.put("eventTime", 10, k("a"), "second");
  assert.deepEqual(summary(timers.due("eventTime", 10, 10).due), [[10, "a", "second"]]);
});

test("a negative or fractional time is refused", (t) => {
  const timers = timerStore(openFile(t, tempDir(t)));
  assert.throws(() => timers.put("eventTime", -1, k("a"), undefined), /integer ≥ 0/);
  assert.throws(() => timers.put("eventTime", 1.5, k("a"), undefined), /integer ≥ 0/);
});

test("the stored key is the type byte, the time big-endian, then the key", () => {
  assert.deepEqual([...timerStoreKey("processingTime", 0x0102030405, k("k"))], [1, 0, 0, 0, 1, 2, 3, 4, 5, 0x6b]);
});

test("timers restored from their changelog fire as before, deletes included", (t) => {
  const dir = tempDir(t);
  const source = openFile(t, dir);
  const timers = timerStore(source);
  timers.put("eventTime", 30, k("c"), { why: "later" });
  timers.put("eventTime", 10, k("a"), undefined);
  timers.put("eventTime", 20, k("b"), undefined);
  timers.delete("eventTime", 20, k("b"));
  const changelog = source.flush();
  source.commit(new Map());

  const other = openFile(t, tempDir(t));
  const restored = timerStore(other);
  other.restore("p-timers", changelog.map((c, i) => ({ key: c.key, value: c.value, offset: String(i) })), new Map([["app-p-timers-changelog:0", String(changelog.length)]]));
  assert.deepEqual(summary(restored.due("eventTime", 100, 10).due), [[10, "a", undefined], [30, "c", { why: "later" }]]);
});
