import { test } from "node:test";
import assert from "node:assert/strict";
import type { Processor, ProcessorContext } from "../processor/processor.ts";
import { serdes } from "../serdes/serde.ts";
import { StreamsBuilder } from "../topology/streams-builder.ts";
import { TopologyTestDriver } from "./topology-test-driver.ts";

const strings = { key: serdes.string(), value: serdes.string() };
const counts = { key: serdes.string(), value: serdes.int64() };

test("count: each update of a key is written and the store holds the final count", () => {
  const b = new StreamsBuilder();
  b.stream("in", strings).groupByKey().count({ store: "counts" }).toStream().to("out", counts);
  const driver = new TopologyTestDriver(b.build());
  const input = driver.createInputTopic("in", serdes.string(), serdes.string());
  const output = driver.createOutputTopic("out", serdes.string(), serdes.int64());
  input.pipeRecordList([["a", "x"], ["b", "x"], ["a", "y"]]);
  assert.deepEqual(output.readKeyValuesToList(), [
    { key: "a", value: 1 },
    { key: "b", value: 1 },
    { key: "a", value: 2 },
  ]);
  assert.ok(output.isEmpty());
  assert.equal(driver.getKeyValueStore<string, number>("counts").get("a"), 2);
  driver.close();
});

test("groupBy re-keys through a repartition topic into a second sub-topology, and counts per new key", () => {
  const b = new StreamsBuilder();
  b.stream("words", strings)
    .groupBy((_k, word) => word.toLowerCase(), { name: "by-word", key: serdes.string() })
    .count({ store: "word-counts" })
    .toStream()
    .to("word-counts-out", counts);
  const driver = new TopologyTestDriver(b.build(), { applicationId: "wc" });
  assert.equal(driver.topology.subTopologies.length, 2);
  assert.deepEqual(driver.topology.subTopologies[1]!.sourceTopics, ["wc-by-word-repartition"]);
  const input = driver.createInputTopic("words", serdes.string(), serdes.string());
  input.pipeRecordList([["1", "Kafka"], ["2", "weir"], ["3", "kafka"]]);
  const out = driver.createOutputTopic("word-counts-out", serdes.string(), serdes.int64());
  assert.deepEqual(out.readKeyValuesToList(), [
    { key: "kafka", value: 1 },
    { key: "weir", value: 1 },
    { key: "kafka", value: 2 },
  ]);
  // The repartition topic is internal: not an output a test reads.
  assert.ok(driver.createOutputTopic("wc-by-word-repartition", serdes.string(), serdes.string()).isEmpty());
  driver.close();
});

test("a record whose new key is null is dropped before the repartition topic of a grouping", () => {
  const b = new StreamsBuilder();
  b.stream("in", strings)
    .selectKey((_k, v) => (v === "" ? (null as unknown as string) : v))
    .groupByKey({ key: serdes.string(), value: serdes.string() })
    .count({ store: "c" })
    .toStream()
    .to("out", counts);
  const driver = new TopologyTestDriver(b.build());
  const input = driver.createInputTopic("in", serdes.string(), serdes.string());
  input.pipeRecordList([["a", ""], ["b", "x"]]);
  assert.deepEqual(driver.createOutputTopic("out", serdes.string(), serdes.int64()).readKeyValuesToList(), [{ key: "x", value: 1 }]);
  driver.close();
});

test("split sends each record to the first matching branch or the default; merge joins branches again", () => {
  const b = new StreamsBuilder();
  const branches = b
    .stream("in", { key: serdes.string(), value: serdes.json<number>() })
    .split({ name: "n-" })
    .branch((_k, v) => v < 0, { name: "negative" })
    .branch((_k, v) => v === 0, { name: "zero" })
    .defaultBranch({ name: "positive" });
  branches["n-negative"].mapValues((v) => -v).merge(branches["n-zero"]).to("non-positive", { key: serdes.string(), value: serdes.json<number>() });
  branches["n-positive"].to("positive", { key: serdes.string(), value: serdes.json<number>() });
  const driver = new TopologyTestDriver(b.build());
  driver.createInputTopic("in", serdes.string(), serdes.json<number>()).pipeRecordList([["a", -5], ["b", 0], ["c", 7], ["d", -1]]);
  assert.deepEqual(driver.createOutputTopic("non-positive", serdes.string(), serdes.json<number>()).readValuesToList(), [5, 0, 1]);
  assert.deepEqual(driver.createOutputTopic("positive", serdes.string(), serdes.json<number>()).readValuesToList(), [7]);
  driver.close();
});

test("split without a default branch drops records no branch takes; unnamed branches are keyed by position", () => {
  const b = new StreamsBuilder();
  const branches = b.stream("in", strings).split().branch((_k, v) => v.startsWith("a")).branch((_k, v) => v.startsWith("b")).noDefaultBranch();
  branches["1"]!.to("a-out", strings);
  branches["2"]!.to("b-out", strings);
  const driver = new TopologyTestDriver(b.build());
  driver.createInputTopic("in", serdes.string(), serdes.string()).pipeRecordList([["k", "apple"], ["k", "cherry"], ["k", "banana"]]);
  assert.deepEqual(driver.createOutputTopic("a-out", serdes.string(), serdes.string()).readValuesToList(), ["apple"]);
  assert.deepEqual(driver.createOutputTopic("b-out", serdes.string(), serdes.string()).readValuesToList(), ["banana"]);
  driver.close();
});

test("flatMap emits zero or more re-keyed records per input, each with the input's timestamp", () => {
  const b = new StreamsBuilder();
  b.stream("in", strings)
    .flatMap((k, v) => v.split(" ").filter((w) => w.length > 0).map((w) => [w, k] as const))
    .to("out", strings);
  const driver = new TopologyTestDriver(b.build());
  const input = driver.createInputTopic("in", serdes.string(), serdes.string());
  input.pipeInput("line1", "to be", 100);
  input.pipeInput("line2", "", 200);
  input.pipeInput("line3", "or", 300);
  const out = driver.createOutputTopic("out", serdes.string(), serdes.string());
  assert.deepEqual(
    out.readRecordsToList().map((r) => [r.key, r.value, r.timestamp]),
    [["to", "line1", 100], ["be", "line1", 100], ["or", "line3", 300]],
  );
  driver.close();
});

test("flatMapValues keeps the key and emits each value", () => {
  const b = new StreamsBuilder();
  b.stream("in", strings).flatMapValues((v) => v.split(",")).to("out", strings);
  const driver = new TopologyTestDriver(b.build());
  driver.createInputTopic("in", serdes.string(), serdes.string()).pipeInput("k", "x,y");
  assert.deepEqual(driver.createOutputTopic("out", serdes.string(), serdes.string()).readKeyValuesToList(), [
    { key: "k", value: "x" },
    { key: "k", value: "y" },
  ]);
  driver.close();
});

test("selectKey then groupByKey keeps the value serde and repartitions", () => {
  const b = new StreamsBuilder();
  b.stream("in", strings)
    .selectKey((_k, v) => v.length)
    .groupByKey({ key: serdes.int64() })
    .count({ store: "by-length" })
    .toStream()
    .to("out", { key: serdes.int64(), value: serdes.int64() });
  const topology = b.build();
  assert.equal(topology.repartitionTopics.length, 1);
  const driver = new TopologyTestDriver(topology);
  driver.createInputTopic("in", serdes.string(), serdes.string()).pipeRecordList([["a", "xx"], ["b", "yy"], ["c", "z"]]);
  assert.deepEqual(driver.createOutputTopic("out", serdes.int64(), serdes.int64()).readKeyValuesToMap(), new Map([[2, 2], [1, 1]]));
  driver.close();
});

test("an explicit repartition() with a name writes <applicationId>-<name>-repartition and reads it in a new sub-topology", () => {
  const b = new StreamsBuilder();
  b.stream("in", strings).repartition({ name: "spread", partitions: 6 }).mapValues((v) => v.toUpperCase()).to("out", strings);
  const topology = b.build();
  assert.deepEqual(topology.repartitionTopics, [{ name: "spread-repartition", partitions: 6 }]);
  const driver = new TopologyTestDriver(topology, { applicationId: "app" });
  assert.deepEqual(driver.topology.repartitionTopics, [{ name: "app-spread-repartition", partitions: 6 }]);
  driver.createInputTopic("in", serdes.string(), serdes.string()).pipeInput("k", "v");
  assert.deepEqual(driver.createOutputTopic("out", serdes.string(), serdes.string()).readKeyValuesToList(), [{ key: "k", value: "V" }]);
  driver.close();
});

test("to() with a topic chooser routes each record to the topic it picks", () => {
  const b = new StreamsBuilder();
  b.stream("in", strings).to((_k, v, record) => (v === "err" ? "errors" : `ok-${record.topic}`), strings);
  const driver = new TopologyTestDriver(b.build());
  driver.createInputTopic("in", serdes.string(), serdes.string()).pipeRecordList([["a", "fine"], ["b", "err"]]);
  assert.deepEqual(driver.createOutputTopic("ok-in", serdes.string(), serdes.string()).readValuesToList(), ["fine"]);
  assert.deepEqual(driver.createOutputTopic("errors", serdes.string(), serdes.string()).readValuesToList(), ["err"]);
  driver.close();
});

test("foreach sees every record and forwards nothing", () => {
  const seen: string[] = [];
  const b = new StreamsBuilder();
  b.stream("in", strings).foreach((k, v) => seen.push(`${k}=${v}`));
  const driver = new TopologyTestDriver(b.build());
  driver.createInputTopic("in", serdes.string(), serdes.string()).pipeRecordList([["a", "1"], ["b", "2"]]);
  assert.deepEqual(seen, ["a=1", "b=2"]);
  driver.close();
});

test("a timestamp extractor sets the event time records carry downstream; it sees the partition time", () => {
  const partitionTimes: number[] = [];
  const b = new StreamsBuilder();
  b.stream("in", {
    key: serdes.string(),
    value: serdes.json<{ at: number }>(),
    timestampExtractor: (record, partitionTime) => {
      partitionTimes.push(partitionTime);
      return (record.value as { at: number }).at;
    },
  }).to("out", { key: serdes.string(), value: serdes.json<{ at: number }>() });
  const driver = new TopologyTestDriver(b.build());
  const input = driver.createInputTopic("in", serdes.string(), serdes.json<{ at: number }>());
  input.pipeInput("a", { at: 5000 }, 1);
  input.pipeInput("a", { at: 3000 }, 2);
  assert.deepEqual(driver.createOutputTopic("out", serdes.string(), serdes.json()).readRecordsToList().map((r) => r.timestamp), [5000, 3000]);
  assert.deepEqual(partitionTimes, [-1, 5000]);
  driver.close();
});

test("a negative event time fails the record by default, naming where it came from", () => {
  const b = new StreamsBuilder();
  b.stream("in", { ...strings, timestampExtractor: () => -1 }).to("out", strings);
  const driver = new TopologyTestDriver(b.build());
  assert.throws(() => driver.createInputTopic("in", serdes.string(), serdes.string()).pipeInput("a", "x"), /WEIR_INVALID_TIMESTAMP: .*record in-0@0 has event time -1/);
  driver.close();
});

test("with onInvalidTimestamp: skip, a record with a negative event time is dropped", () => {
  const b = new StreamsBuilder();
  b.stream("in", { ...strings, onInvalidTimestamp: "skip", timestampExtractor: (r) => (r.value === "bad" ? -5 : r.timestamp) }).to("out", strings);
  const driver = new TopologyTestDriver(b.build());
  driver.createInputTopic("in", serdes.string(), serdes.string()).pipeRecordList([["a", "bad"], ["b", "good"]]);
  assert.deepEqual(driver.createOutputTopic("out", serdes.string(), serdes.string()).readValuesToList(), ["good"]);
  driver.close();
});

test("piped records without a timestamp carry the driver's wall-clock time, which advanceWallClockTime moves", () => {
  const b = new StreamsBuilder();
  b.stream("in", strings).to("out", strings);
  const driver = new TopologyTestDriver(b.build(), { initialWallClockTimeMs: 10_000 });
  const input = driver.createInputTopic("in", serdes.string(), serdes.string());
  input.pipeInput("a", "1");
  driver.advanceWallClockTime(500);
  input.pipeInput("a", "2");
  assert.deepEqual(driver.createOutputTopic("out", serdes.string(), serdes.string()).readRecordsToList().map((r) => r.timestamp), [10_000, 10_500]);
  driver.close();
});

test("a processing error rolls the stores back to the last piped record", () => {
  const b = new StreamsBuilder();
  b.stream("in", strings)
    .groupByKey()
    .count({ store: "c" })
    .toStream()
    .peek((_k, n) => {
      if (n === 2) throw new Error("boom");
    })
    .to("out", counts);
  const driver = new TopologyTestDriver(b.build());
  const input = driver.createInputTopic("in", serdes.string(), serdes.string());
  input.pipeInput("a", "x");
  assert.throws(() => input.pipeInput("a", "y"), /WEIR_PROCESSING_FAILED: processor KSTREAM-PEEK-\d+ failed on record in-0@1: boom/);
  assert.equal(driver.getKeyValueStore<string, number>("c").get("a"), 1);
  driver.close();
});

test("an input topic the topology does not read is refused", () => {
  const b = new StreamsBuilder();
  b.stream("in", strings).to("out", strings);
  const driver = new TopologyTestDriver(b.build());
  assert.throws(() => driver.createInputTopic("other", serdes.string(), serdes.string()), /does not read topic other/);
  driver.close();
});

test("advanceWallClockTime fires wall-clock punctuators, which see the driver's clock, and their output is readable", () => {
  class Heartbeat implements Processor<string, string, string, string> {
    init(context: ProcessorContext<string, string>): void {
      context.schedule(1_000, "wallClockTime", (now) => context.forward({ key: "tick", value: String(now), timestamp: now, headers: {} }));
    }
    process(): void {}
  }
  const b = new StreamsBuilder();
  b.stream("in", strings).process(() => new Heartbeat()).to("out", strings);
  const driver = new TopologyTestDriver(b.build(), { initialWallClockTimeMs: 50_000 });
  driver.createInputTopic("in", serdes.string(), serdes.string()).pipeInput("a", "x");
  const out = driver.createOutputTopic("out", serdes.string(), serdes.string());
  assert.ok(out.isEmpty());
  driver.advanceWallClockTime(999);
  assert.ok(out.isEmpty(), "not before the interval has passed");
  driver.advanceWallClockTime(1);
  assert.deepEqual(out.readKeyValuesToList(), [{ key: "tick", value: "51000" }]);
  driver.close();
});
