// suppress(untilWindowCloses) through a real Task and SQLite stores. Expectation, from Kafka Streams'
// Suppressed.untilWindowCloses javadoc: exactly one final result per window, emitted when stream time
// reaches the window's end + grace; nothing before. Here also: never twice, across a restart.
import assert from "node:assert/strict";
import { test } from "node:test";
import { join } from "node:path";
import { serdes } from "../serdes/serde.ts";
import { StateFile } from "../state/state-file.ts";
import { tempDir } from "../state/test-fixtures.ts";
import { Suppressed } from "../topology/ktable.ts";
import type { StreamsBuilder } from "../topology/streams-builder.ts";
import { SessionWindows, TimeWindows } from "../topology/windows.ts";
import { strings, windowedCounts, WindowedRun } from "./windowed-test-fixtures.ts";

function finalCounts(b: StreamsBuilder): void {
  b.stream("in", strings)
    .groupByKey()
    .windowedBy(TimeWindows.ofSizeAndGrace(10, 5))
    .count({ store: "counts" })
    .suppress(Suppressed.untilWindowCloses(), { store: "finals" })
    .toStream()
    .to("out", windowedCounts);
}

test("untilWindowCloses emits one final count per window, once stream time reaches end + grace", () => {
  const run = WindowedRun.of(finalCounts);
  run.pipe("a", "x", 1).pipe("a", "x", 2).pipe("b", "x", 9).pipe("a", "x", 12);
  assert.deepEqual(run.windowed(), [], "[0,10) closes at 15: nothing yet");
  run.pipe("a", "x", 14);
  assert.deepEqual(run.windowed(), [], "stream time 14 < 15");
  run.pipe("b", "x", 15);
  assert.deepEqual(run.windowed(), [
    ["a", 0, 10, 2, 2],
    ["b", 0, 10, 1, 9],
  ]);
  run.pipe("c", "x", 40);
  assert.deepEqual(run.windowed().slice(2), [
    ["a", 10, 20, 2, 14],
    ["b", 10, 20, 1, 15],
  ]);
  // A late record for a closed window changes nothing and emits nothing.
  run.pipe("a", "x", 5);
  assert.equal(run.windowed().length, 4);
});

test("a final result is emitted once across a restart, and a window closed before it stays closed", (t) => {
  const path = join(tempDir(t), "app", "0_0.sqlite");
  const first = WindowedRun.of(finalCounts, StateFile.open(path, { cacheMaxBytes: 1 << 20 }));
  first.pipe("a", "x", 1).pipe("a", "x", 3).pipe("b", "x", 16);
  assert.deepEqual(first.windowed(), [["a", 0, 10, 2, 3]]);
  first.commit();
  first.state.close();

  const second = WindowedRun.of(finalCounts, StateFile.open(path, { cacheMaxBytes: 1 << 20 }));
  t.after(() => second.state.close());
  assert.equal(second.task.streamTimeMs, 16, "stream time comes back from the window store");
  // Without the recovered stream time this record would reopen [0, 10) and yield a second final result.
  second.pipe("a", "x", 4).pipe("b", "x", 30);
  assert.deepEqual(second.windowed(), [["b", 10, 20, 1, 16]]);
  assert.equal(second.task.lateDropped.get("counts"), 1);
});

test("the buffer's changelog carries the held-back update and the tombstone of its emission", () => {
  const run = WindowedRun.of(finalCounts);
  run.pipe("a", "x", 1);
  const held = run.state.flush().filter((r) => r.topic === "app-finals-changelog");
  assert.equal(held.length, 1);
  assert.notEqual(held[0]!.value, null);
  run.pipe("b", "x", 20);
  const emitted = run.state.flush().filter((r) => r.topic === "app-finals-changelog" && r.key.equals(held[0]!.key));
  assert.deepEqual(emitted.map((r) => r.value), [null]);
});

test("session windows: a merged-away session emits no final result, the merged one emits once", () => {
  const run = WindowedRun.of((b) =>
    b
      .stream("in", strings)
      .groupByKey()
      .windowedBy(SessionWindows.ofInactivityGapAndGrace(10, 20))
      .count({ store: "sessions" })
      .suppress(Suppressed.untilWindowCloses())
      .toStream()
      .to("out", windowedCounts),
  );
  // Grace must cover the records' disorder: [0,0] closes when stream time passes 0 + 20, and had it closed
  // before the bridging record came, its final result would be out already (as in Kafka Streams, where
  // the merged session is another window with a final result of its own).
  run.pipe("a", "x", 0).pipe("a", "x", 20).pipe("a", "x", 10);
  // Sessions include their end: [0,20] closes when stream time passes 20 + 20.
  run.pipe("b", "x", 40);
  assert.deepEqual(run.windowed(), []);
  run.pipe("b", "x", 41);
  assert.deepEqual(run.windowed(), [["a", 0, 20, 3, 20]]);
});

test("untilTimeLimit emits a key's latest value once the limit has passed since its first held-back update", () => {
  const run = WindowedRun.of((b) =>
    b
      .stream("in", strings)
      .groupByKey()
      .count({ store: "totals" })
      .suppress(Suppressed.untilTimeLimit(10))
      .toStream()
      .to("out", { key: serdes.string(), value: serdes.int64() }),
  );
  run.pipe("a", "x", 0).pipe("a", "x", 5).pipe("a", "x", 9);
  assert.equal(run.outputs.length, 0);
  run.pipe("b", "x", 10);
  assert.deepEqual(run.decoded("out", serdes.string(), serdes.int64()), [["a", 3, 9]]);
});

test("suppress(untilWindowCloses) on a table that is not windowed is refused", async () => {
  const { StreamsBuilder } = await import("../topology/streams-builder.ts");
  const b = new StreamsBuilder();
  const table = b.stream("in", strings).groupByKey().count();
  assert.throws(() => table.suppress(Suppressed.untilWindowCloses()), /needs a windowed table/);
});
