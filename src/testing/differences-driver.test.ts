// Issue 15, item 4: where Weir deliberately differs from Kafka Streams (README, "Differences from Kafka
// Streams"), each case pinned. Kafka Streams' outputs for the same inputs are given in the comments.
import { test } from "node:test";
import assert from "node:assert/strict";
import { serdes } from "../serdes/serde.ts";
import { JoinWindows } from "../topology/join-windows.ts";
import { Suppressed } from "../topology/ktable.ts";
import { StreamsBuilder } from "../topology/streams-builder.ts";
import { SessionWindows, SlidingWindows, TimeWindows } from "../topology/windows.ts";
import { EmitStrategy } from "../processor/emit-on-close.ts";
import { TopologyTestDriver } from "./topology-test-driver.ts";

const strings = { key: serdes.string(), value: serdes.string() };
const ints = { key: serdes.string(), value: serdes.int64() };

function run(b: StreamsBuilder, body: (driver: TopologyTestDriver) => void): void {
  const driver = new TopologyTestDriver(b.build());
  try {
    body(driver);
  } finally {
    driver.close();
  }
}

/** Everything written to "out" so far (each call reads from the first record). */
function out<V>(driver: TopologyTestDriver, value: { serialize(v: V, t: string): Buffer; deserialize(d: Buffer, t: string): V; name: string }) {
  return driver.createOutputTopic("out", serdes.string(), value).readRecordsToList().map((r) => [r.key, r.value, r.timestamp]);
}

test("a stream–stream join drops a record later than its window's end + grace (Kafka Streams still joins it)", () => {
  const b = new StreamsBuilder();
  b.stream("L", strings).join(b.stream("R", strings), (l, r) => `${l}+${r}`, JoinWindows.ofTimeDifferenceAndGrace(10, 0)).to("out", strings);
  run(b, (driver) => {
    const left = driver.createInputTopic("L", serdes.string(), serdes.string());
    driver.createInputTopic("R", serdes.string(), serdes.string()).pipeInput("a", "r", 0);
    left.pipeInput("z", "z", 100); // stream time 100
    left.pipeInput("a", "l", 5); // its window [−5, 15] closed at 15 + 0: dropped (Kafka Streams: a "l+r"@5)
    assert.deepEqual(out(driver, serdes.string()), []);
  });
});

test("a left stream–stream join never emits (v, null) for a record that arrives after its window closed (Kafka Streams emits it at once)", () => {
  const b = new StreamsBuilder();
  b.stream("L", strings).leftJoin(b.stream("R", strings), (l, r) => `${l}+${r}`, JoinWindows.ofTimeDifferenceAndGrace(10, 0)).to("out", strings);
  run(b, (driver) => {
    const left = driver.createInputTopic("L", serdes.string(), serdes.string());
    left.pipeInput("z", "z", 100);
    left.pipeInput("b", "late", 50); // 50 + 10 + 0 < 100: dropped
    left.pipeInput("z", "z", 200); // closes z@100's window: z+null; nothing for b
    assert.deepEqual(out(driver, serdes.string()), [["z", "z+null", 100]]);
  });
});

test("a left stream–stream join emits (v, null) with the record's timestamp on the first record that takes stream time past t + before + after + grace", () => {
  const b = new StreamsBuilder();
  b.stream("L", strings).leftJoin(b.stream("R", strings), (l, r) => `${l}+${r}`, JoinWindows.ofTimeDifferenceAndGrace(10, 0)).to("out", strings);
  run(b, (driver) => {
    const left = driver.createInputTopic("L", serdes.string(), serdes.string());
    const right = driver.createInputTopic("R", serdes.string(), serdes.string());
    left.pipeInput("a", "x", 0);
    // Stream time 20: a right record at 10 would still join a@0 (it is late only past 10 + 10 + 0): nothing yet.
    right.pipeInput("b", "y", 20);
    assert.deepEqual(out(driver, serdes.string()), []);
    right.pipeInput("b", "y", 21); // stream time 21 > 0 + 10 + 10 + 0: a+null@0, whichever side's record moved it
    assert.deepEqual(out(driver, serdes.string()), [["a", "x+null", 0]]);
  });
});

test("a session ending exactly at stream time − gap − grace still takes a record within the gap (Kafka Streams' store no longer finds it)", () => {
  const b = new StreamsBuilder();
  b.stream("in", strings)
    .groupByKey()
    .windowedBy(SessionWindows.ofInactivityGapWithNoGrace(10))
    .count()
    .toStream()
    .map((w, n): readonly [string, number | null] => [`${w.key}[${w.window.start},${w.window.end}]`, n])
    .to("out", ints);
  run(b, (driver) => {
    const input = driver.createInputTopic("in", serdes.string(), serdes.string());
    input.pipeInput("a", "1", 0); // [0,0]=1
    input.pipeInput("z", "1", 10); // stream time 10: [0,0] ends at 10 − 10 − 0
    input.pipeInput("a", "2", 5); // merges into [0,5]=2 (Kafka Streams: a new session [5,5]=1)
    assert.deepEqual(out(driver, serdes.int64()), [
      ["a[0,0]", 1, 0],
      ["z[10,10]", 1, 10],
      ["a[0,0]", null, 0],
      ["a[0,5]", 2, 5],
    ]);
  });
});

test("a record inside a session's bounds updates it with one result (Kafka Streams sends a tombstone for the same session first)", () => {
  const b = new StreamsBuilder();
  b.stream("in", strings)
    .groupByKey()
    .windowedBy(SessionWindows.ofInactivityGapWithNoGrace(10))
    .count()
    .toStream()
    .map((w, n): readonly [string, number | null] => [`${w.key}[${w.window.start},${w.window.end}]`, n])
    .to("out", ints);
  run(b, (driver) => {
    const input = driver.createInputTopic("in", serdes.string(), serdes.string());
    input.pipeInput("a", "1", 0);
    input.pipeInput("a", "2", 5);
    input.pipeInput("a", "3", 3); // inside [0,5]: [0,5]=3 only
    assert.deepEqual(out(driver, serdes.int64()), [
      ["a[0,0]", 1, 0],
      ["a[0,0]", null, 0],
      ["a[0,5]", 2, 5],
      ["a[0,5]", 3, 5],
    ]);
  });
});

test("suppress(untilWindowCloses) after sliding windows emits one final result per window, when stream time passes end + grace", () => {
  const b = new StreamsBuilder();
  b.stream("in", strings)
    .groupByKey()
    .windowedBy(SlidingWindows.ofTimeDifferenceAndGrace(10, 5))
    .count()
    .suppress(Suppressed.untilWindowCloses())
    .toStream()
    .filter((w) => w.key === "a")
    .map((w, n): readonly [string, number | null] => [`${w.key}[${w.window.start},${w.window.end}]`, n])
    .to("out", ints);
  run(b, (driver) => {
    const input = driver.createInputTopic("in", serdes.string(), serdes.string());
    input.pipeInput("a", "A", 20); // [10,20]=1
    input.pipeInput("z", "z", 25); // stream time 25 = end + grace: Kafka Streams' suppress emits [10,20]=1 here
    assert.deepEqual(out(driver, serdes.int64()), []);
    input.pipeInput("a", "B", 20); // still accepted (end 20 ≥ 25 − 5): [10,20]=2 (Kafka Streams emits a second "final" 2 later)
    input.pipeInput("z", "z", 26); // 26 > 25: closed, its one final result
    assert.deepEqual(out(driver, serdes.int64()), [["a[10,20]", 2, 20]]);
    input.pipeInput("a", "C", 20); // late: dropped
    input.pipeInput("z", "z", 100);
    assert.deepEqual(out(driver, serdes.int64()), [["a[10,20]", 2, 20]], "no second result for the window");
  });
});

test("onWindowClose emits a window that one record moves stream time past by more than its retention (Kafka Streams' store has expired it first)", () => {
  const b = new StreamsBuilder();
  b.stream("in", strings)
    .groupByKey()
    .windowedBy(TimeWindows.ofSizeWithNoGrace(5))
    .emitStrategy(EmitStrategy.onWindowClose())
    .count()
    .toStream()
    .map((w, n): readonly [string, number] => [`${w.key}[${w.window.start},${w.window.end}]`, n])
    .to("out", ints);
  run(b, (driver) => {
    const input = driver.createInputTopic("in", serdes.string(), serdes.string());
    input.pipeInput("a", "x", 3);
    input.pipeInput("a", "x", 11); // stream time 11: [0,5) closed at 5, and its retention (5) has passed too
    // Kafka Streams 4.4: nothing (with Materialized.withRetention(100) it emits a[0,5]).
    assert.deepEqual(out(driver, serdes.int64()), [["a[0,5]", 1, 3]]);
  });
});
