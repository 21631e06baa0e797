// Session windows through a real Task and SQLite session store. Expectations follow Kafka Streams'
// KStreamSessionWindowAggregate: a record at t joins the key's sessions that end at or after t − gap and
// start at or before t + gap (a record exactly one gap away merges); merged-away sessions are forwarded
// as tombstones; a session's timestamp is its end; it is closed once end < stream time − grace.
import assert from "node:assert/strict";
import { test } from "node:test";
import { serdes } from "../serdes/serde.ts";
import { SessionWindows } from "../topology/windows.ts";
import { finalTable, strings, windowedCounts, WindowedRun } from "./windowed-test-fixtures.ts";

function sessionCount(windows: SessionWindows): WindowedRun {
  return WindowedRun.of((b) => b.stream("in", strings).groupByKey().windowedBy(windows).count({ store: "sessions" }).toStream().to("out", windowedCounts));
}

test("records further apart than the gap make separate sessions", () => {
  const run = sessionCount(SessionWindows.ofInactivityGapAndGrace(10, 100)).pipe("a", "x", 0).pipe("a", "x", 20).pipe("b", "x", 5);
  assert.deepEqual(run.windowed(), [
    ["a", 0, 0, 1, 0],
    ["a", 20, 20, 1, 20],
    ["b", 5, 5, 1, 5],
  ]);
});

test("a record that bridges two sessions merges them: tombstones for both, then the merged session", () => {
  const run = sessionCount(SessionWindows.ofInactivityGapAndGrace(10, 100)).pipe("a", "x", 0).pipe("a", "x", 20).pipe("a", "x", 10);
  assert.deepEqual(run.windowed().slice(2), [
    ["a", 0, 0, null, 0],
    ["a", 20, 20, null, 20],
    ["a", 0, 20, 3, 20],
  ]);
  assert.deepEqual([...run.state.sessionStore({ name: "sessions", keySerde: serdes.string(), valueSerde: serdes.int64(), changelogTopic: "app-sessions-changelog", changelogPartition: 0, retentionMs: 110 }).all()].map((s) => [s.start, s.end, s.value]), [[0, 20, 3]]);
});

test("a record inside a session extends nothing and replaces the session's aggregate", () => {
  const run = sessionCount(SessionWindows.ofInactivityGapWithNoGrace(10)).pipe("a", "x", 0).pipe("a", "x", 8).pipe("a", "x", 4);
  assert.deepEqual(finalTable(run.windowed()), new Map([["a@[0,8]", 3]]));
  assert.deepEqual(run.windowed().at(-1), ["a", 0, 8, 3, 8]);
});

test("session aggregate merges aggregates with the merger", () => {
  const run = WindowedRun.of((b) =>
    b
      .stream("in", strings)
      .groupByKey()
      .windowedBy(SessionWindows.ofInactivityGapAndGrace(10, 100))
      .aggregate(
        () => "",
        (_k, v, agg) => agg + v,
        (_k, left, right) => `${left}|${right}`,
        { store: "joined", value: serdes.string() },
      )
      .toStream()
      .to("out", { key: serdes.windowed(serdes.string()), value: serdes.string() }),
  );
  run.pipe("a", "x", 0).pipe("a", "y", 20).pipe("a", "z", 10);
  const last = run.decoded("out", serdes.windowed(serdes.string()), serdes.string()).at(-1)!;
  assert.deepEqual([last[0].window, last[1]], [{ start: 0, end: 20 }, "|x|yz"]);
});

test("a record whose merged session ended before stream time − grace is dropped as late", () => {
  const run = sessionCount(SessionWindows.ofInactivityGapAndGrace(10, 5)).pipe("a", "x", 0).pipe("b", "x", 20);
  // Stream time 20: a record at 16 for a has its own session [16,16], 16 ≥ 20 − 5: taken.
  run.pipe("a", "x", 16);
  assert.equal(run.task.lateDropped.get("sessions"), undefined);
  // A record at 3 merges with [0,0] into [0,3]: 3 < 15, closed: dropped.
  run.pipe("a", "x", 3);
  assert.equal(run.task.lateDropped.get("sessions"), 1);
  assert.equal(finalTable(run.windowed()).get("a@[0,0]"), 1);
});
