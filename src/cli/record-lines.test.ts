import { test } from "node:test";
import assert from "node:assert/strict";
import { serdes } from "../serdes/index.ts";
import type { Serde } from "../serdes/index.ts";
import { formatOutputLine, parseInputLine, serializeRecord, toSerdeInput } from "./record-lines.ts";
import { chooseSerdes, serdeByName, textOrJson } from "./topic-serdes.ts";
import { StreamsBuilder, TimeWindows } from "../topology/index.ts";
import { app } from "../runtime/app-definition.ts";

const asUnknown = <T>(s: Serde<T>) => s as Serde<unknown>;

test("a JSON line carries key, value, timestamp, partition and headers", () => {
  const record = parseInputLine('{"key":"alice","value":{"n":1},"timestamp":1000,"partition":2,"headers":{"h":"v"}}', 1);
  assert.deepEqual(record, { key: "alice", value: { n: 1 }, timestamp: 1000, partition: 2, headers: { h: "v" } });
});

test("a key<TAB>value line is text that a JSON serde reads as JSON and a string serde takes as is", () => {
  const record = parseInputLine('alice\t{"n":1}', 1)!;
  const json = serializeRecord(record, { key: asUnknown(serdes.string()), value: serdes.json() }, "t", 1);
  assert.equal(json.key!.toString(), "alice");
  assert.deepEqual(JSON.parse(json.value!.toString()), { n: 1 });
  const text = serializeRecord(record, { key: asUnknown(serdes.string()), value: asUnknown(serdes.string()) }, "t", 1);
  assert.equal(text.value!.toString(), '{"n":1}');
});

test("an empty key before the TAB is a null key, and a blank line is skipped", () => {
  assert.equal(parseInputLine("\tv", 1)!.key, null);
  assert.equal(parseInputLine("   ", 1), undefined);
});

test("a line that is neither JSON nor key<TAB>value fails naming its line number", () => {
  assert.throws(() => parseInputLine("just words", 7), /input line 7: neither a JSON object nor key<TAB>value/);
  assert.throws(() => parseInputLine('{"key":"a"}', 3), /input line 3: no "value"/);
  assert.throws(() => parseInputLine('{"key":"a","value":1,"ts":5}', 4), /unknown field ts/);
  assert.throws(() => parseInputLine('{"value":1,"timestamp":"yesterday"}', 5), /timestamp must be epoch milliseconds/);
});

test("int64 keys are written as Kafka's 8-byte big-endian longs, from a number or its text", () => {
  const fromText = serializeRecord(parseInputLine("42\tx", 1)!, { key: asUnknown(serdes.int64()), value: textOrJson }, "t", 1);
  assert.deepEqual([...fromText.key!], [0, 0, 0, 0, 0, 0, 0, 42]);
  assert.throws(() => toSerdeInput(asUnknown(serdes.int64()), "forty", 9, "key"), /input line 9: the key serde int64 needs a whole number/);
});

test("a windowed key is given as {key, window:{start,end}} and read back the same", () => {
  const serde = serdeByName("windowed(string)");
  const key = { key: "alice", window: { start: 60000, end: 120000 } };
  const written = serializeRecord({ key, value: 3 }, { key: serde, value: asUnknown(serdes.int64()) }, "t", 1);
  assert.deepEqual(serde.deserialize(written.key!, "t"), key);
  assert.throws(() => toSerdeInput(serde, "alice", 2, "key"), /needs \{"key":…,"window":\{"start":ms,"end":ms\}\}/);
});

test("without a known serde, bytes that are JSON read as JSON, other UTF-8 as text, the rest as base64", () => {
  assert.deepEqual(textOrJson.deserialize(Buffer.from('{"a":1}'), "t"), { a: 1 });
  assert.equal(textOrJson.deserialize(Buffer.from("plain words"), "t"), "plain words");
  const line = formatOutputLine({ partition: 0, offset: "5", timestamp: 1, key: textOrJson.deserialize(Buffer.from([0xff, 0x00]), "t"), value: null });
  assert.deepEqual(JSON.parse(line), { partition: 0, offset: "5", timestamp: 1, key: { base64: "/wA=" }, value: null });
});

test("an unknown serde name fails listing the known ones", () => {
  assert.throws(() => serdeByName("long"), /unknown serde "long"; known: string, json, int64/);
});

test("the serdes of a topic come from the topology's source, or its sink, and flags override them", () => {
  const b = new StreamsBuilder();
  b.stream("clicks", { key: serdes.string(), value: serdes.json<{ user: string }>() })
    .groupByKey()
    .windowedBy(TimeWindows.ofSizeWithNoGrace("1m"))
    .count({ store: "clicks-per-minute" })
    .toStream()
    .to("clicks-per-minute", { key: serdes.windowed(serdes.string()), value: serdes.int64() });
  const definition = app({ applicationId: "clicks", topology: b.build() });
  assert.equal(chooseSerdes("clicks", { definition }).value.name, "json");
  const sink = chooseSerdes("clicks-per-minute", { definition });
  assert.deepEqual([sink.key.name, sink.value.name], ["windowed(string)", "int64"]);
  assert.equal(chooseSerdes("clicks-per-minute", { definition, valueSerde: "string" }).value.name, "string");
  assert.throws(() => chooseSerdes("other", { definition, modulePath: "app.ts" }), /neither reads nor writes other \(its topics: clicks, clicks-per-minute\)/);
});
