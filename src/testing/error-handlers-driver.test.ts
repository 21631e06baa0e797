import { test } from "node:test";
import assert from "node:assert/strict";
import { deadLetterHeaders, RecordError } from "../runtime/error-handlers.ts";
import { serdes } from "../serdes/serde.ts";
import { StreamsBuilder } from "../topology/streams-builder.ts";
import { TopologyTestDriver, type TopologyTestDriverOptions } from "./topology-test-driver.ts";

/** in (string → JSON {n}) → mapValues (throws on a negative n) → out; and a count per key into "counts". */
function driverOver(options: TopologyTestDriverOptions = {}) {
  const b = new StreamsBuilder();
  const s = b.stream("in", { key: serdes.string(), value: serdes.json<{ n: number }>() });
  s.mapValues((v) => {
    if (v.n < 0) throw new Error(`negative ${v.n}`);
    return v.n;
  }).to("out", { key: serdes.string(), value: serdes.json<number>() });
  const driver = new TopologyTestDriver(b.build(), { applicationId: "app", ...options });
  return {
    driver,
    input: driver.createInputTopic("in", serdes.string(), serdes.string()),
    out: driver.createOutputTopic("out", serdes.string(), serdes.json<number>()),
    dlq: driver.createOutputTopic("app-dlq", serdes.string(), serdes.string()),
  };
}

test("the test driver throws a failing record's RecordError under the default fail handler", () => {
  const { driver, input, out } = driverOver();
  input.pipeInput("k", '{"n":1}');
  assert.throws(() => input.pipeInput("k", "{not json"), (err: unknown) => err instanceof RecordError && err.kind === "deserialization");
  assert.throws(() => input.pipeInput("k", '{"n":-1}'), (err: unknown) => err instanceof RecordError && err.kind === "processing");
  assert.deepEqual(out.readValuesToList(), [1]);
  driver.close();
});

test("the test driver skips failing records under logAndContinue and processes the rest", () => {
  const { driver, input, out, dlq } = driverOver({ deserializationErrorHandler: "logAndContinue", processingErrorHandler: "logAndContinue" });
  input.pipeRecordList([["k", '{"n":1}'], ["k", "{not json"], ["k", '{"n":-5}'], ["k", '{"n":3}']]);
  assert.deepEqual(out.readValuesToList(), [1, 3]);
  assert.ok(dlq.isEmpty());
  driver.close();
});

test("the test driver dead-letters a failing record's original bytes with the runtime's headers", () => {
  const { driver, input, out, dlq } = driverOver({ deserializationErrorHandler: "deadLetter", processingErrorHandler: "deadLetter" });
  input.pipeRecordList([["k", '{"n":1}'], ["k", "{not json"], ["k", '{"n":-5}']]);
  assert.deepEqual(out.readValuesToList(), [1]);
  const dead = dlq.readRecordsToList();
  assert.deepEqual(dead.map((r) => r.value), ["{not json", '{"n":-5}']);
  assert.deepEqual(dead.map((r) => r.headers[deadLetterHeaders.kind]?.toString()), ["deserialization", "processing"]);
  assert.deepEqual(dead.map((r) => r.headers[deadLetterHeaders.offset]?.toString()), ["1", "2"]);
  driver.close();
});

test("the test driver drops only the output a sink cannot produce under logAndContinue; a sink's deadLetter override sends the input", () => {
  const b = new StreamsBuilder();
  const unwritable = { ...serdes.string(), serialize: (v: string) => (v === "bad" ? assert.fail("cannot write bad") : Buffer.from(v)) };
  const s = b.stream("in", { key: serdes.string(), value: serdes.string() });
  s.to("plain", { key: serdes.string(), value: serdes.string() });
  s.to("picky", { key: serdes.string(), value: unwritable });
  s.to("strict", { key: serdes.string(), value: unwritable, productionErrorHandler: "deadLetter" });
  const driver = new TopologyTestDriver(b.build(), { applicationId: "app", productionErrorHandler: "logAndContinue" });
  driver.createInputTopic("in", serdes.string(), serdes.string()).pipeRecordList([["k", "ok"], ["k", "bad"]]);
  const values = (topic: string) => driver.createOutputTopic(topic, serdes.string(), serdes.string()).readValuesToList();
  assert.deepEqual(values("plain"), ["ok", "bad"]);
  assert.deepEqual(values("picky"), ["ok"]);
  assert.deepEqual(values("strict"), ["ok"]);
  assert.deepEqual(values("app-dlq"), ["bad"]);
  driver.close();
});
