// Window assignment, from Kafka Streams' TimeWindows.windowsFor: windows are aligned to the epoch,
// start = k × advance, and hold [start, start + size).
import assert from "node:assert/strict";
import { test } from "node:test";
import { serdes } from "../serdes/serde.ts";
import { SessionWindows, SlidingWindows, TimeWindows } from "./windows.ts";

test("a tumbling window holds [start, start + size): a record exactly on a window's end opens the next one", () => {
  const w = TimeWindows.ofSizeWithNoGrace(10);
  assert.deepEqual(w.windowsFor(0), [{ start: 0, end: 10 }]);
  assert.deepEqual(w.windowsFor(9), [{ start: 0, end: 10 }]);
  assert.deepEqual(w.windowsFor(10), [{ start: 10, end: 20 }]);
});

test("a hopping window record falls into size / advance windows, aligned to the epoch", () => {
  const w = TimeWindows.ofSizeWithNoGrace(10).advanceBy(5);
  assert.deepEqual(w.windowsFor(7), [{ start: 0, end: 10 }, { start: 5, end: 15 }]);
  assert.deepEqual(w.windowsFor(10), [{ start: 5, end: 15 }, { start: 10, end: 20 }]);
  // Near the epoch, no window starts before 0 (Kafka Streams: max(0, t − size + advance)).
  assert.deepEqual(w.windowsFor(3), [{ start: 0, end: 10 }]);
  const thirds = TimeWindows.ofSizeAndGrace(30, 0).advanceBy(10);
  assert.deepEqual(thirds.windowsFor(35).map((x) => x.start), [10, 20, 30]);
});

test("durations accept milliseconds and strings; bad ones fail with the setting's name", () => {
  assert.equal(TimeWindows.ofSizeAndGrace("1m", "10s").sizeMs, 60_000);
  assert.equal(TimeWindows.ofSizeAndGrace("1m", "10s").graceMs, 10_000);
  assert.equal(SessionWindows.ofInactivityGapWithNoGrace("5m").inactivityGapMs, 300_000);
  assert.throws(() => TimeWindows.ofSizeWithNoGrace("ten"), /window size must be milliseconds or a duration/);
  assert.throws(() => TimeWindows.ofSizeWithNoGrace(10).advanceBy(11), /advance must be > 0 and ≤ its size/);
  assert.throws(() => SlidingWindows.ofTimeDifferenceAndGrace(0, 0), /time difference must be > 0/);
});

test("default retentions: size + grace, 3 × difference + grace (Kafka Streams' 2 × difference + grace counted from the latest window start), gap + grace (+ 1 ms: a session is open while end ≥ stream time − gap − grace)", () => {
  assert.equal(TimeWindows.ofSizeAndGrace(100, 7).defaultRetentionMs(), 107);
  assert.equal(SlidingWindows.ofTimeDifferenceAndGrace(100, 7).defaultRetentionMs(), 307);
  assert.equal(SessionWindows.ofInactivityGapAndGrace(100, 7).defaultRetentionMs(), 108);
});

test("windowed serdes write key bytes then the window, and read back start and end", () => {
  const key = { key: "user-1", window: { start: 60_000, end: 120_000 } };
  const full = serdes.windowed(serdes.string());
  const bytes = full.serialize(key, "t");
  assert.equal(bytes.length, 6 + 16);
  assert.equal(bytes.subarray(0, 6).toString(), "user-1");
  assert.deepEqual(full.deserialize(bytes, "t"), key);
  const kafkaTime = serdes.timeWindowed(serdes.string(), 60_000);
  assert.equal(kafkaTime.serialize(key, "t").length, 6 + 8);
  assert.deepEqual(kafkaTime.deserialize(kafkaTime.serialize(key, "t"), "t"), key);
  const kafkaSession = serdes.sessionWindowed(serdes.string());
  const s = kafkaSession.serialize(key, "t");
  assert.equal(Number(s.readBigInt64BE(6)), 120_000, "Kafka's session layout puts the end first");
  assert.deepEqual(kafkaSession.deserialize(s, "t"), key);
});
