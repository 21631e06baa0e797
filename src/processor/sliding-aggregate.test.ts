// Sliding windows through a real Task and SQLite window store. Expectations come from Kafka Streams'
// definition (KIP-450, SlidingWindows javadoc): for a time difference d, every record at t has a left
// window [t − d, t], and a right window [t + 1, t + 1 + d] when a later record falls in it; both ends
// inclusive; each window's aggregate is over the records whose timestamps it contains.
import assert from "node:assert/strict";
import { test } from "node:test";
import { SlidingWindows } from "../topology/windows.ts";
import { finalTable, strings, windowedCounts, WindowedRun } from "./windowed-test-fixtures.ts";

function slidingCount(windows: SlidingWindows): WindowedRun {
  return WindowedRun.of((b) => b.stream("in", strings).groupByKey().windowedBy(windows).count({ store: "sliding" }).toStream().to("out", windowedCounts));
}

test("in-order records create left windows and the previous record's right window", () => {
  const run = slidingCount(SlidingWindows.ofTimeDifferenceWithNoGrace(10)).pipe("a", "x", 10).pipe("a", "x", 15);
  // 10: [0,10] = {10}. 15: the right window of 10, [11,21] = {15}; the left window [5,15] = {10,15}.
  assert.deepEqual(run.windowed(), [
    ["a", 0, 10, 1, 10],
    ["a", 11, 21, 1, 15],
    ["a", 5, 15, 2, 15],
  ]);
});

test("an out-of-order record updates the windows holding it and creates its own left and right windows", () => {
  const run = slidingCount(SlidingWindows.ofTimeDifferenceAndGrace(10, 10)).pipe("a", "x", 10).pipe("a", "x", 15).pipe("a", "x", 12);
  // Records 10, 15, 12. Left windows: [0,10] {10}, [5,15] {10,12,15}, [2,12] {10,12}. Right windows:
  // of 10, [11,21] {12,15}; of 12, [13,23] {15}; of 15, none (nothing after it).
  assert.deepEqual(
    finalTable(run.windowed()),
    new Map([
      ["a@[0,10]", 1],
      ["a@[11,21]", 2],
      ["a@[5,15]", 3],
      ["a@[2,12]", 2],
      ["a@[13,23]", 1],
    ]),
  );
});

test("records before the time difference share the window [0, d]", () => {
  const run = slidingCount(SlidingWindows.ofTimeDifferenceWithNoGrace(10)).pipe("a", "x", 2).pipe("a", "x", 5);
  // Left windows would start before 0; [0,10] holds {2,5}; the right window of 2, [3,13], holds {5}.
  assert.deepEqual(finalTable(run.windowed()), new Map([["a@[0,10]", 2], ["a@[3,13]", 1]]));
});

test("with no grace an out-of-order record misses its own closed left window; windows include their end", () => {
  const run = slidingCount(SlidingWindows.ofTimeDifferenceAndGrace(10, 0)).pipe("b", "x", 30);
  // Stream time 30: a window is open while its end ≥ 30. A record at 30 has the open left window [20,30].
  run.pipe("a", "x", 30);
  assert.equal(run.task.lateDropped.get("sliding"), undefined);
  // A record at 29 still enters [20,30], but its own left window [19,29] has closed: counted late once.
  run.pipe("a", "x", 29);
  assert.equal(finalTable(run.windowed()).get("a@[20,30]"), 2);
  assert.equal(finalTable(run.windowed()).has("a@[19,29]"), false);
  assert.equal(run.task.lateDropped.get("sliding"), 1);
  // A record at 9: even its right window [10,20] ended before 30; nothing is updated.
  const before = run.windowed().length;
  run.pipe("a", "x", 9);
  assert.equal(run.windowed().length, before);
  assert.equal(run.task.lateDropped.get("sliding"), 2);
});
