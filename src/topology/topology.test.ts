import { test } from "node:test";
import assert from "node:assert/strict";
import { serdes } from "../serdes/serde.ts";
import { StreamsBuilder } from "./streams-builder.ts";
import { BufferConfig, Suppressed } from "./suppressed.ts";

test("describe() prints sources, processors and sinks in Kafka Streams' layout", () => {
  const b = new StreamsBuilder();
  b.stream("in", { key: serdes.string(), value: serdes.string() })
    .mapValues((v) => v.length)
    .to("out", { key: serdes.string(), value: serdes.json<number>() });
  assert.equal(
    b.build().describe(),
    [
      "Topologies:",
      "   Sub-topology: 0",
      "    Source: KSTREAM-SOURCE-0000000000 (topics: [in])",
      "      --> KSTREAM-MAPVALUES-0000000001",
      "    Processor: KSTREAM-MAPVALUES-0000000001 (stores: [])",
      "      --> KSTREAM-SINK-0000000002",
      "      <-- KSTREAM-SOURCE-0000000000",
      "    Sink: KSTREAM-SINK-0000000002 (topic: out)",
      "      <-- KSTREAM-MAPVALUES-0000000001",
      "",
    ].join("\n"),
  );
});

test("unconnected streams become separate sub-topologies", () => {
  const b = new StreamsBuilder();
  b.stream("a", { key: serdes.string(), value: serdes.string() }).to("x", { key: serdes.string(), value: serdes.string() });
  b.stream("b", { key: serdes.string(), value: serdes.string() }).to("y", { key: serdes.string(), value: serdes.string() });
  const topology = b.build();
  assert.deepEqual(topology.subTopologies.map((s) => s.sourceTopics), [["a"], ["b"]]);
  assert.equal(topology.subTopologyOf("b").id, 1);
});

test("a topic read by two sources is refused at build time", () => {
  const b = new StreamsBuilder();
  b.stream("a", { key: serdes.string(), value: serdes.string() });
  b.stream("a", { key: serdes.string(), value: serdes.string() });
  assert.throws(() => b.build(), /topic a is read by sub-topologies 0 and 1/);
});

test("a processor name used twice is refused", () => {
  const b = new StreamsBuilder();
  const s = b.stream("a", { key: serdes.string(), value: serdes.string() });
  s.filter(() => true, { name: "f" });
  assert.throws(() => s.filter(() => true, { name: "f" }), /two nodes are named f/);
});

test("the Mermaid form has one subgraph per sub-topology and an edge per parent-child pair", () => {
  const b = new StreamsBuilder();
  b.stream("in", { key: serdes.string(), value: serdes.string() }).to("out", { key: serdes.string(), value: serdes.string() });
  const mermaid = b.build().describeMermaid();
  assert.match(mermaid, /^flowchart LR/);
  assert.match(mermaid, /subgraph sub0/);
  assert.match(mermaid, /KSTREAM_SOURCE_0000000000 --> KSTREAM_SINK_0000000001/);
});

test("describe() shows a suppress node's mode and buffer config as the DSL calls that made them", () => {
  const b = new StreamsBuilder();
  const counts = b.stream("in", { key: serdes.string(), value: serdes.string() }).groupByKey().count({ store: "counts" });
  counts.suppress(Suppressed.untilTimeLimit("1m", BufferConfig.maxRecords(2).withMaxBytes(500).shutDownWhenFull()), { name: "held", store: "held" });
  counts.suppress(Suppressed.untilTimeLimit(10, BufferConfig.maxBytes(64)), { name: "eager", store: "eager" });
  const text = b.build().describe();
  assert.match(text, /^ {4}Processor: held \(stores: \[held\]\) Suppressed\.untilTimeLimit\(60000ms, BufferConfig\.maxRecords\(2\)\.withMaxBytes\(500\)\.shutDownWhenFull\(\)\)$/m);
  assert.match(text, /^ {4}Processor: eager \(stores: \[eager\]\) Suppressed\.untilTimeLimit\(10ms, BufferConfig\.maxBytes\(64\)\.emitEarlyWhenFull\(\)\)$/m);
  assert.match(text, /^ {4}Processor: KSTREAM-AGGREGATE-\d+ \(stores: \[counts\]\)$/m);
});
