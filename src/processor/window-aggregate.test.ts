// Time-window aggregation through a real Task and SQLite window store. Expected outputs follow Kafka
// Streams' KStreamWindowAggregate: every update of a window is forwarded, keyed by Windowed<K>, with the
// window's largest record timestamp; a window [start, end) takes records while end > stream time − grace.
import assert from "node:assert/strict";
import { test } from "node:test";
import { serdes } from "../serdes/serde.ts";
import { TimeWindows } from "../topology/windows.ts";
import { strings, windowedCounts, WindowedRun } from "./windowed-test-fixtures.ts";

function tumblingCount(windows: TimeWindows, lateTopic?: string): WindowedRun {
  return WindowedRun.of((b) =>
    b
      .stream("in", strings)
      .groupByKey()
      .windowedBy(windows, lateTopic ? { lateRecords: { topic: lateTopic } } : {})
      .count({ store: "counts" })
      .toStream()
      .to("out", windowedCounts),
  );
}

test("a tumbling count forwards each update of its window; a record on the window end counts in the next", () => {
  const run = tumblingCount(TimeWindows.ofSizeWithNoGrace(10)).pipe("a", "x", 0).pipe("a", "x", 9).pipe("a", "x", 10).pipe("b", "x", 12);
  assert.deepEqual(run.windowed(), [
    ["a", 0, 10, 1, 0],
    ["a", 0, 10, 2, 9],
    ["a", 10, 20, 1, 10],
    ["b", 10, 20, 1, 12],
  ]);
});

test("a hopping count updates every window the record falls into", () => {
  const run = tumblingCount(TimeWindows.ofSizeWithNoGrace(10).advanceBy(5)).pipe("a", "x", 7).pipe("a", "x", 12);
  assert.deepEqual(run.windowed(), [
    ["a", 0, 10, 1, 7],
    ["a", 5, 15, 1, 7],
    ["a", 5, 15, 2, 12],
    ["a", 10, 20, 1, 12],
  ]);
});

test("a record inside grace still updates its window; one beyond grace is dropped and counted as late", () => {
  const run = tumblingCount(TimeWindows.ofSizeAndGrace(10, 5));
  run.pipe("a", "x", 1).pipe("b", "x", 14);
  // Stream time 14: [0, 10) closes at 10 + 5 = 15, so a record at 9 still counts.
  run.pipe("a", "x", 9);
  assert.deepEqual(run.windowed().at(-1), ["a", 0, 10, 2, 9]);
  // Stream time 15 = end + grace: [0, 10) is closed; the record is dropped.
  run.pipe("b", "x", 15).pipe("a", "x", 3);
  assert.equal(run.windowed().filter(([k, s]) => k === "a" && s === 0).length, 2);
  assert.equal(run.task.lateDropped.get("counts"), 1);
});

test("a hopping record late for its oldest window still counts in the newer one, and is counted late once", () => {
  const run = tumblingCount(TimeWindows.ofSizeWithNoGrace(10).advanceBy(5));
  run.pipe("a", "x", 12).pipe("a", "x", 8);
  // Stream time 12: [0, 10) is closed, [5, 15) is open.
  assert.deepEqual(run.windowed().slice(2), [["a", 5, 15, 2, 12]]);
  assert.equal(run.task.lateDropped.get("counts"), 1);
});

test("a late record goes to the late-records topic as it arrived: key, value and timestamp", () => {
  const run = tumblingCount(TimeWindows.ofSizeWithNoGrace(10), "late");
  run.pipe("a", "x", 25).pipe("a", "too late", 3);
  assert.deepEqual(run.decoded("late", serdes.string(), serdes.string()), [["a", "too late", 3]]);
  assert.equal(run.windowed().length, 1, "results still reach the table's stream");
});

test("windowed reduce and aggregate keep one aggregate per window", () => {
  const run = WindowedRun.of((b) => {
    const grouped = b.stream("in", strings).groupByKey();
    grouped
      .windowedBy(TimeWindows.ofSizeWithNoGrace(10))
      .reduce((a, v) => a + v, { store: "joined" })
      .toStream()
      .to("joined", { key: serdes.windowed(serdes.string()), value: serdes.string() });
    grouped
      .windowedBy(TimeWindows.ofSizeWithNoGrace(10))
      .aggregate(() => 100, (_k, v, a) => a + v.length, { store: "lengths", value: serdes.int64() })
      .toStream()
      .to("out", windowedCounts);
  });
  run.pipe("k", "ab", 1).pipe("k", "c", 2).pipe("k", "d", 11);
  assert.deepEqual(
    run.decoded("joined", serdes.windowed(serdes.string()), serdes.string()).map(([k, v]) => [k.window.start, v]),
    [[0, "ab"], [0, "abc"], [10, "d"]],
  );
  assert.deepEqual(run.windowed().map(([, s, , v]) => [s, v]), [[0, 102], [0, 103], [10, 101]]);
});

test("describe() shows the window store and the late-records sink", () => {
  const run = tumblingCount(TimeWindows.ofSizeWithNoGrace(10), "late");
  const text = run.topology.describe();
  assert.match(text, /Processor: KSTREAM-AGGREGATE-0000000001 \(stores: \[counts\]\)/);
  assert.match(text, /Sink: KSTREAM-AGGREGATE-0000000001-LATE-RECORDS \(topic: late\)/);
});
