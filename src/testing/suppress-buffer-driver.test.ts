// Suppress buffer limits (Kafka Streams' Suppressed.BufferConfig) through the TopologyTestDriver, with
// expected outputs computed by hand. Sizes: a buffered entry counts its key bytes + 17 + its value bytes;
// here keys are UTF-8 strings and values int64 counts (8 bytes), so key "a" costs 1 + 17 + 8 = 26 bytes.
import assert from "node:assert/strict";
import { test } from "node:test";
import { join } from "node:path";
import { serdes } from "../serdes/serde.ts";
import { StateFile } from "../state/state-file.ts";
import { tempDir } from "../state/test-fixtures.ts";
import { BufferConfig, Suppressed, type StrictBufferConfig } from "../topology/suppressed.ts";
import { StreamsBuilder } from "../topology/streams-builder.ts";
import { TimeWindows } from "../topology/windows.ts";
import { WindowedRun } from "../processor/windowed-test-fixtures.ts";
import { TopologyTestDriver } from "./topology-test-driver.ts";
import type { TestOutputTopic } from "./test-topics.ts";

const strings = { key: serdes.string(), value: serdes.string() };
const counts = { key: serdes.string(), value: serdes.int64() };

/** A count per key, suppressed with `suppressed`, written to "out". */
function suppressedCounts(suppressed: Suppressed): (b: StreamsBuilder) => void {
  return (b) => {
    b.stream("in", strings).groupByKey().count({ store: "counts" }).suppress(suppressed, { name: "held", store: "held-store" }).toStream().to("out", counts);
  };
}

function driverOf(build: (b: StreamsBuilder) => void, options: ConstructorParameters<typeof TopologyTestDriver>[1] = {}): TopologyTestDriver {
  const b = new StreamsBuilder();
  build(b);
  return new TopologyTestDriver(b.build(), options);
}

const outputs = new WeakMap<TopologyTestDriver, TestOutputTopic<string, number>>();

/** The records written to "out" since the last call. */
function out(driver: TopologyTestDriver): [string | null, number | null, number][] {
  let topic = outputs.get(driver);
  if (!topic) outputs.set(driver, (topic = driver.createOutputTopic("out", serdes.string(), serdes.int64())));
  return topic.readRecordsToList().map((r) => [r.key, r.value, r.timestamp]);
}

test("maxRecords with emitEarlyWhenFull: an update that overfills the buffer emits the entry with the earliest buffer time", (t) => {
  const driver = driverOf(suppressedCounts(Suppressed.untilTimeLimit(100, Suppressed.BufferConfig.maxRecords(2))));
  t.after(() => driver.close());
  const input = driver.createInputTopic("in", serdes.string(), serdes.string());
  input.pipeInput("a", "x", 0); // buffer: a (due 100)
  input.pipeInput("b", "x", 1); // a, b (101)
  assert.deepEqual(out(driver), []);
  input.pipeInput("c", "x", 2); // a, b, c: 3 > 2, a leaves early with its own timestamp
  assert.deepEqual(out(driver), [["a", 1, 0]]);
  input.pipeInput("a", "x", 3); // b, c, a (due 103): b leaves early
  assert.deepEqual(out(driver), [["b", 1, 1]]);
  input.pipeInput("b", "x", 4); // c, a, b (104): c leaves early
  assert.deepEqual(out(driver), [["c", 1, 2]]);
  input.pipeInput("d", "x", 103); // stream time 103: a (due 103) leaves on time; b (104) and d (203) remain, 2 records
  assert.deepEqual(out(driver), [["a", 2, 3]]);
  input.pipeInput("e", "x", 104); // b is due; d, e remain
  assert.deepEqual(out(driver), [["b", 2, 4]]);
});

test("maxBytes counts each entry as key bytes + 17 + value bytes and emits the earliest entries until the buffer fits", (t) => {
  const driver = driverOf(suppressedCounts(Suppressed.untilTimeLimit(100, Suppressed.BufferConfig.maxBytes(58))));
  t.after(() => driver.close());
  const input = driver.createInputTopic("in", serdes.string(), serdes.string());
  input.pipeInput("a", "x", 0); // 1 + 17 + 8 = 26 bytes
  input.pipeInput("bb", "x", 1); // 27: 53 ≤ 58
  input.pipeInput("a", "x", 2); // a's update replaces its entry: still 53
  assert.deepEqual(out(driver), []);
  // "long-key" costs 8 + 17 + 8 = 33: 86 > 58 → a leaves (60 > 58, with an overhead of 16 it would stop here) → bb leaves (33).
  input.pipeInput("long-key", "x", 3);
  assert.deepEqual(out(driver), [
    ["a", 2, 2],
    ["bb", 1, 1],
  ]);
});

test("a buffer config with both limits emits early when either is passed", (t) => {
  const driver = driverOf(suppressedCounts(Suppressed.untilTimeLimit(100, Suppressed.BufferConfig.maxBytes(1000).withMaxRecords(1))));
  t.after(() => driver.close());
  const input = driver.createInputTopic("in", serdes.string(), serdes.string());
  input.pipeInput("a", "x", 0);
  input.pipeInput("b", "x", 1);
  assert.deepEqual(out(driver), [["a", 1, 0]]);
});

test("an unbounded buffer (the default) never emits early", (t) => {
  const driver = driverOf(suppressedCounts(Suppressed.untilTimeLimit(100, Suppressed.BufferConfig.unbounded())));
  t.after(() => driver.close());
  const input = driver.createInputTopic("in", serdes.string(), serdes.string());
  for (let i = 0; i < 50; i++) input.pipeInput(`k${i}`, "x", i);
  assert.deepEqual(out(driver), []);
  input.pipeInput("z", "x", 100);
  assert.deepEqual(out(driver), [["k0", 1, 0]]);
});

function finalCounts(buffer: StrictBufferConfig): (b: StreamsBuilder) => void {
  return (b) => {
    b.stream("in", strings)
      .groupByKey()
      .windowedBy(TimeWindows.ofSizeWithNoGrace(10))
      .count({ store: "counts" })
      .suppress(Suppressed.untilWindowCloses(buffer), { name: "finals", store: "finals-store" })
      .toStream()
      .map((w, n): readonly [string, number] => [`${w.key}@${w.window.start}`, n])
      .to("out", counts);
  };
}

test("shutDownWhenFull: an update that overfills the buffer fails the task with WEIR_STATE_BUFFER_FULL naming the node and the limit", (t) => {
  // The error is not a record's: no processing handler may skip it.
  const driver = driverOf(finalCounts(Suppressed.BufferConfig.maxRecords(2).shutDownWhenFull()), { processingErrorHandler: "logAndContinue" });
  t.after(() => driver.close());
  const input = driver.createInputTopic("in", serdes.string(), serdes.string());
  input.pipeInput("a", "x", 1);
  input.pipeInput("b", "x", 2);
  input.pipeInput("a", "x", 3); // a's window again: still 2 entries
  assert.throws(
    () => input.pipeInput("c", "x", 4),
    (err: Error & { code?: string }) => {
      assert.equal(err.code, "WEIR_STATE_BUFFER_FULL");
      assert.match(err.message, /suppress node finals \(store finals-store\) is full: it holds 3 records \(maxRecords 2\)/);
      assert.match(err.message, /shutDownWhenFull/);
      return true;
    },
  );
  assert.deepEqual(out(driver), []);
});

test("shutDownWhenFull: the entries due at this stream time leave first, so a buffer that then fits does not fail", (t) => {
  const driver = driverOf(finalCounts(Suppressed.BufferConfig.maxRecords(2).shutDownWhenFull()));
  t.after(() => driver.close());
  const input = driver.createInputTopic("in", serdes.string(), serdes.string());
  input.pipeInput("a", "x", 1);
  input.pipeInput("b", "x", 2);
  input.pipeInput("c", "x", 10); // [0,10) closes at 10: a and b leave, c alone stays
  assert.deepEqual(out(driver), [
    ["a@0", 1, 1],
    ["b@0", 1, 2],
  ]);
});

test("shutDownWhenFull on bytes: the error names the byte limit", (t) => {
  const driver = driverOf(finalCounts(Suppressed.BufferConfig.maxBytes(80).shutDownWhenFull()));
  t.after(() => driver.close());
  const input = driver.createInputTopic("in", serdes.string(), serdes.string());
  // A windowed key is the key's bytes + 16 (start, end): "a"@[0,10) costs 1 + 16 + 17 + 8 = 42 bytes.
  input.pipeInput("a", "x", 1);
  assert.throws(() => input.pipeInput("b", "x", 2), /holds 2 records and 84 bytes \(maxBytes 80\)/);
});

test("untilWindowCloses refuses a buffer config that emits early, at build time", () => {
  assert.throws(
    // @ts-expect-error -- an eager config is a type error, as in Kafka Streams; JavaScript callers get the same refusal at run time
    () => Suppressed.untilWindowCloses(Suppressed.BufferConfig.maxRecords(10)),
    /untilWindowCloses needs a strict buffer config \(unbounded\(\), or a limit with shutDownWhenFull\(\)\), got maxRecords\(10\)\.emitEarlyWhenFull\(\)/,
  );
  assert.throws(
    // @ts-expect-error -- shutDownWhenFull() then emitEarlyWhenFull() is eager again
    () => Suppressed.untilWindowCloses(Suppressed.BufferConfig.maxBytes(10).shutDownWhenFull().emitEarlyWhenFull()),
    /strict buffer config/,
  );
  // Strict configs are taken; untilTimeLimit takes either kind.
  Suppressed.untilWindowCloses(Suppressed.BufferConfig.unbounded());
  Suppressed.untilWindowCloses(Suppressed.BufferConfig.maxBytes(10).withMaxRecords(5).shutDownWhenFull());
  Suppressed.untilTimeLimit(10, Suppressed.BufferConfig.maxRecords(10));
  assert.throws(() => Suppressed.BufferConfig.maxRecords(-1), /maxRecords must be a whole number ≥ 0, got -1/);
  assert.equal(BufferConfig.maxRecords(3).shutDownWhenFull().toString(), "maxRecords(3).shutDownWhenFull()");
});

test("the limit holds after a restart: the buffer's size is counted from its store", (t) => {
  const path = join(tempDir(t), "app", "0_0.sqlite");
  const build = suppressedCounts(Suppressed.untilTimeLimit(100, Suppressed.BufferConfig.maxRecords(2)));
  const first = WindowedRun.of(build, StateFile.open(path, { cacheMaxBytes: 1 << 20 }));
  first.pipe("a", "x", 0).pipe("b", "x", 1);
  first.commit();
  first.state.close();

  const second = WindowedRun.of(build, StateFile.open(path, { cacheMaxBytes: 1 << 20 }));
  t.after(() => second.state.close());
  second.pipe("c", "x", 2); // a, b came back from the file: 3 > 2, a leaves early
  assert.deepEqual(second.decoded("out", counts.key, counts.value), [["a", 1, 0]]);
});

test("the limit holds after a restore from the buffer's changelog", (t) => {
  const build = suppressedCounts(Suppressed.untilTimeLimit(100, Suppressed.BufferConfig.maxRecords(2)));
  const first = WindowedRun.of(build);
  first.pipe("a", "x", 0).pipe("b", "x", 1).pipe("a", "x", 2);
  const changelog = first.state.flush().filter((r) => r.topic === "app-held-store-changelog");

  const second = WindowedRun.of(build);
  t.after(() => second.state.close());
  second.state.restore("held-store", changelog.map((r, i) => ({ key: r.key, value: r.value, offset: String(i) })), new Map([["app-held-store-changelog:0", String(changelog.length)]]));
  second.pipe("c", "x", 3); // a (due 100, count 2), b restored: 3 > 2, a leaves early
  assert.deepEqual(second.decoded("out", counts.key, counts.value), [["a", 2, 2]]);
});
