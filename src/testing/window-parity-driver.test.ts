// Windowed aggregations: where a differential run against Kafka Streams 4.4's TopologyTestDriver
// (tools/kafka-streams-diff, the same inputs on both) found Weir's outputs apart, each case with Kafka Streams'
// output for it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { EmitStrategy } from "../processor/emit-on-close.ts";
import type { Windowed } from "../processor/windowed.ts";
import { serdes } from "../serdes/serde.ts";
import type { KGroupedStream } from "../topology/kgrouped-stream.ts";
import { Suppressed, type KTable } from "../topology/ktable.ts";
import { StreamsBuilder } from "../topology/streams-builder.ts";
import { SlidingWindows, TimeWindows } from "../topology/windows.ts";
import { ints, records, strings, withDriver } from "./parity-fixtures.ts";

/** `key[start,end]` → count, from a windowed count; null keys and values pass through the input. */
function windowedCountOf(b: StreamsBuilder, windowed: (grouped: KGroupedStream<string, string>) => KTable<Windowed<string>, number>): void {
  windowed(b.stream("in", strings).groupByKey())
    .toStream()
    .map((w, n): readonly [string, number] => [`${w.key}[${w.window.start},${w.window.end}]`, n])
    .to("out", ints);
}

test("time and session window aggregations count a null value (Kafka Streams checks only the key there); sliding windows drop it", () => {
  const tumbling = new StreamsBuilder();
  windowedCountOf(tumbling, (g) => g.windowedBy(TimeWindows.ofSizeWithNoGrace(10)).count());
  withDriver(tumbling, (driver) => {
    const input = driver.createInputTopic("in", serdes.string(), serdes.string());
    input.pipeInput("a", "1", 0);
    input.pipeInput("a", null, 2);
    input.pipeInput(null, "1", 3); // no key: dropped
    assert.deepEqual(records(driver, "out", serdes.int64()), [
      ["a[0,10]", 1, 0],
      ["a[0,10]", 2, 2],
    ]);
  });
  const sliding = new StreamsBuilder();
  windowedCountOf(sliding, (g) => g.windowedBy(SlidingWindows.ofTimeDifferenceWithNoGrace(5)).count());
  withDriver(sliding, (driver) => {
    const input = driver.createInputTopic("in", serdes.string(), serdes.string());
    input.pipeInput("a", "1", 10);
    input.pipeInput("a", null, 12);
    assert.deepEqual(records(driver, "out", serdes.int64()), [["a[5,10]", 1, 10]]);
  });
});

test("a record the aggregation never sees (a null key) does not close its windows: each windowed aggregation keeps its own stream time", () => {
  const tumbling = new StreamsBuilder();
  windowedCountOf(tumbling, (g) => g.windowedBy(TimeWindows.ofSizeWithNoGrace(10)).count());
  withDriver(tumbling, (driver) => {
    const input = driver.createInputTopic("in", serdes.string(), serdes.string());
    input.pipeInput("a", "1", 0);
    input.pipeInput(null, "1", 50); // the task's stream time: 50; the aggregation's: still 0
    input.pipeInput("a", "1", 3);
    assert.deepEqual(records(driver, "out", serdes.int64()), [
      ["a[0,10]", 1, 0],
      ["a[0,10]", 2, 3],
    ]);
  });
  const sliding = new StreamsBuilder();
  windowedCountOf(sliding, (g) => g.windowedBy(SlidingWindows.ofTimeDifferenceWithNoGrace(5)).count());
  withDriver(sliding, (driver) => {
    const input = driver.createInputTopic("in", serdes.string(), serdes.string());
    input.pipeInput("a", "1", 0);
    input.pipeInput(null, "1", 50);
    input.pipeInput("a", "1", 3);
    assert.deepEqual(records(driver, "out", serdes.int64()), [
      ["a[0,5]", 1, 0],
      ["a[1,6]", 1, 3],
      ["a[0,5]", 2, 3],
    ]);
  });
  // suppress keeps its own stream time too: the largest timestamp of the updates it received.
  const suppressed = new StreamsBuilder();
  windowedCountOf(suppressed, (g) => g.windowedBy(TimeWindows.ofSizeWithNoGrace(10)).count().suppress(Suppressed.untilWindowCloses()));
  withDriver(suppressed, (driver) => {
    const input = driver.createInputTopic("in", serdes.string(), serdes.string());
    input.pipeInput("a", "1", 0);
    input.pipeInput(null, "1", 50);
    input.pipeInput("a", "1", 3);
    input.pipeInput("b", "1", 11);
    assert.deepEqual(records(driver, "out", serdes.int64()), [["a[0,10]", 2, 3]]);
  });
});

test("a sliding window aggregation still finds a key's earlier record within the difference after another key moved time on", () => {
  const b = new StreamsBuilder();
  windowedCountOf(b, (g) => g.windowedBy(SlidingWindows.ofTimeDifferenceWithNoGrace(3)).count());
  withDriver(b, (driver) => {
    const input = driver.createInputTopic("in", serdes.string(), serdes.string());
    input.pipeInput("a", "1", 14);
    input.pipeInput("b", "1", 17);
    input.pipeInput("a", "1", 17);
    assert.deepEqual(records(driver, "out", serdes.int64()), [
      ["a[11,14]", 1, 14],
      ["b[14,17]", 1, 17],
      ["a[15,18]", 1, 17],
      ["a[14,17]", 2, 17],
    ]);
  });
});

test("onWindowClose emits the windows that close together by window start, then key", () => {
  const b = new StreamsBuilder();
  windowedCountOf(b, (g) => g.windowedBy(TimeWindows.ofSizeWithNoGrace(10).advanceBy(5)).emitStrategy(EmitStrategy.onWindowClose()).count());
  withDriver(b, (driver) => {
    const input = driver.createInputTopic("in", serdes.string(), serdes.string());
    input.pipeInput("a", "1", 12);
    input.pipeInput("b", "1", 12);
    input.pipeInput("c", "1", 30);
    assert.deepEqual(records(driver, "out", serdes.int64()), [
      ["a[5,15]", 1, 12],
      ["b[5,15]", 1, 12],
      ["a[10,20]", 1, 12],
      ["b[10,20]", 1, 12],
    ]);
  });
});
