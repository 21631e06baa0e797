// EmitStrategy.onWindowClose on session windows (KIP-825), through the TopologyTestDriver and, for restarts,
// a task over a state file. Expected outputs computed by hand from Weir's close rule: a session closes when
// stream time reaches end + gap + grace + 1 ms. With gap 10 and grace 5: at end + 16.
import assert from "node:assert/strict";
import { test } from "node:test";
import { join } from "node:path";
import { EmitStrategy } from "../processor/emit-on-close.ts";
import { WindowedRun, windowedCounts, type WindowedOutput } from "../processor/windowed-test-fixtures.ts";
import { serdes } from "../serdes/serde.ts";
import { StateFile } from "../state/state-file.ts";
import { tempDir } from "../state/test-fixtures.ts";
import { StreamsBuilder } from "../topology/streams-builder.ts";
import { SessionWindows } from "../topology/windows.ts";
import type { TestOutputTopic } from "./test-topics.ts";
import { TopologyTestDriver } from "./topology-test-driver.ts";

const strings = { key: serdes.string(), value: serdes.string() };

function sessionCounts(b: StreamsBuilder): void {
  b.stream("clicks", strings)
    .groupByKey()
    .windowedBy(SessionWindows.ofInactivityGapAndGrace(10, 5))
    .emitStrategy(EmitStrategy.onWindowClose())
    .count({ store: "sessions" })
    .toStream()
    .to("out", windowedCounts);
}

function read(topic: TestOutputTopic<{ key: string; window: { start: number; end: number } }, number>): WindowedOutput[] {
  return topic.readRecordsToList().map((r) => [r.key!.key, r.key!.window.start, r.key!.window.end, r.value, r.timestamp]);
}

test("onWindowClose: each session is emitted once when stream time reaches end + gap + grace + 1; merged-away sessions never", (t) => {
  const b = new StreamsBuilder();
  sessionCounts(b);
  const driver = new TopologyTestDriver(b.build());
  t.after(() => driver.close());
  const input = driver.createInputTopic("clicks", serdes.string(), serdes.string());
  const output = driver.createOutputTopic("out", windowedCounts.key, windowedCounts.value);
  input.pipeInput("a", "x", 0); // a[0,0]
  input.pipeInput("a", "x", 8); // a[0,8]: a[0,0] merged away, nothing emitted for it
  input.pipeInput("b", "x", 20); // b[20,20]
  input.pipeInput("c", "x", 23); // a[0,8] closes at 24: not yet
  assert.deepEqual(read(output), []);
  input.pipeInput("c", "x", 24); // c[23,24]; stream time 24 closes a[0,8]
  assert.deepEqual(read(output), [["a", 0, 8, 2, 8]]);
  input.pipeInput("a", "x", 5); // a[0,8] is closed: late, dropped, no second result
  input.pipeInput("b", "x", 34); // b[34,34] (34 − 20 > gap)
  input.pipeInput("b", "x", 27); // bridges b[20,20] and b[34,34] into b[20,34]: both merged away, nothing emitted
  assert.deepEqual(read(output), []);
  // Stream time 50 closes c[23,24] (at 40) and b[20,34] (at 50): by end.
  input.pipeInput("z", "x", 50);
  assert.deepEqual(read(output), [
    ["c", 23, 24, 2, 24],
    ["b", 20, 34, 3, 34],
  ]);
  input.pipeInput("y", "x", 65); // z[50,50] closes at 66
  assert.deepEqual(read(output), []);
  input.pipeInput("y", "x", 66);
  assert.deepEqual(read(output), [["z", 50, 50, 1, 50]]);
});

test("onWindowClose: a record just within the gap of a session that closes later still merges into it", (t) => {
  const b = new StreamsBuilder();
  sessionCounts(b);
  const driver = new TopologyTestDriver(b.build());
  t.after(() => driver.close());
  const input = driver.createInputTopic("clicks", serdes.string(), serdes.string());
  const output = driver.createOutputTopic("out", windowedCounts.key, windowedCounts.value);
  input.pipeInput("a", "x", 0);
  input.pipeInput("b", "x", 15); // stream time 15: a[0,0] open until 16
  input.pipeInput("a", "x", 10); // within the gap of a[0,0]: a[0,10]
  input.pipeInput("b", "x", 16); // b[15,16]; a[0,0] is gone, a[0,10] closes at 26
  assert.deepEqual(read(output), []);
  input.pipeInput("b", "x", 26);
  assert.deepEqual(read(output), [["a", 0, 10, 2, 10]]);
});

test("onWindowClose: a session emitted and committed before a restart is not emitted again; one closed after is", (t) => {
  const path = join(tempDir(t), "app", "0_0.sqlite");
  const first = WindowedRun.of((b) => sessionCounts(b), StateFile.open(path, { cacheMaxBytes: 1 << 20 }));
  first.pipe("a", "x", 0, "clicks").pipe("b", "x", 20, "clicks"); // 20 ≥ 0 + 16: a[0,0] closes
  assert.deepEqual(first.windowed(), [["a", 0, 0, 1, 0]]);
  first.commit();
  first.state.close();

  const second = WindowedRun.of((b) => sessionCounts(b), StateFile.open(path, { cacheMaxBytes: 1 << 20 }));
  t.after(() => second.state.close());
  // The emitter's clock is the store's stream time (its latest session end, 20), read back from the file.
  second.pipe("c", "x", 21, "clicks");
  assert.deepEqual(second.windowed(), []);
  second.pipe("c", "x", 36, "clicks"); // closes b[20,20] (at 36)
  assert.deepEqual(second.windowed(), [["b", 20, 20, 1, 20]]);
});

test("onWindowClose: a session emitted in a transaction that did not commit is emitted again after the restart", (t) => {
  const path = join(tempDir(t), "app", "0_0.sqlite");
  const first = WindowedRun.of((b) => sessionCounts(b), StateFile.open(path, { cacheMaxBytes: 1 << 20 }));
  first.pipe("a", "x", 0, "clicks");
  first.commit();
  first.pipe("b", "x", 20, "clicks");
  assert.deepEqual(first.windowed(), [["a", 0, 0, 1, 0]]);
  first.state.close(); // a crash: the output of b@20 was never committed, nor the store's move to 20

  const second = WindowedRun.of((b) => sessionCounts(b), StateFile.open(path, { cacheMaxBytes: 1 << 20 }));
  t.after(() => second.state.close());
  second.pipe("b", "x", 20, "clicks"); // b@20 again, from the last committed offset
  assert.deepEqual(second.windowed(), [["a", 0, 0, 1, 0]]);
});

test("onWindowClose on sessions works with reduce and aggregate, and the default strategy still emits every update", (t) => {
  const b = new StreamsBuilder();
  const grouped = b.stream("clicks", strings).groupByKey();
  grouped
    .windowedBy(SessionWindows.ofInactivityGapWithNoGrace(10))
    .emitStrategy(EmitStrategy.onWindowClose())
    .reduce((x, y) => x + y, { store: "reduced" })
    .toStream()
    .map((w, v): readonly [string, string] => [`${w.key}[${w.window.start},${w.window.end}]`, String(v)])
    .to("final", strings);
  grouped
    .windowedBy(SessionWindows.ofInactivityGapWithNoGrace(10))
    .emitStrategy(EmitStrategy.onWindowUpdate())
    .count({ store: "updates" })
    .toStream()
    .to("updates", windowedCounts);
  const driver = new TopologyTestDriver(b.build());
  t.after(() => driver.close());
  const input = driver.createInputTopic("clicks", serdes.string(), serdes.string());
  input.pipeInput("a", "x", 0);
  input.pipeInput("a", "y", 5);
  input.pipeInput("b", "z", 16); // a[0,5] closes at 5 + 10 + 0 + 1 = 16
  assert.deepEqual(driver.createOutputTopic("final", serdes.string(), serdes.string()).readKeyValuesToList(), [{ key: "a[0,5]", value: "xy" }]);
  assert.deepEqual(read(driver.createOutputTopic("updates", windowedCounts.key, windowedCounts.value)), [
    ["a", 0, 0, 1, 0],
    ["a", 0, 0, null, 0],
    ["a", 0, 5, 2, 5],
    ["b", 16, 16, 1, 16],
  ]);
});

test("a record the aggregation never sees (a null key) does not close its sessions: one within the gap still merges, as in Kafka Streams", (t) => {
  const b = new StreamsBuilder();
  const grouped = b.stream("clicks", strings).groupByKey();
  grouped
    .windowedBy(SessionWindows.ofInactivityGapWithNoGrace(10))
    .emitStrategy(EmitStrategy.onWindowClose())
    .count({ store: "sessions" })
    .toStream()
    .to("out", windowedCounts);
  const driver = new TopologyTestDriver(b.build());
  t.after(() => driver.close());
  const input = driver.createInputTopic("clicks", serdes.string(), serdes.string());
  const output = driver.createOutputTopic("out", windowedCounts.key, windowedCounts.value);
  input.pipeInput("a", "x", 0);
  // A record without a key moves the task's stream time to 11 (past a[0,0]'s close, 0 + 10 + 0 + 1), not the
  // aggregation's own (Kafka Streams' observedStreamTime): a[0,0] is still open.
  input.pipeInput(null, "x", 11);
  // Within the gap of a[0,0]: merged into a[0,5].
  input.pipeInput("a", "x", 5);
  input.pipeInput("b", "x", 16); // the aggregation's clock reaches 16: a[0,5] closes (5 + 10 + 0 + 1)
  assert.deepEqual(read(output), [["a", 0, 5, 2, 5]]);
});
