import { test } from "node:test";
import assert from "node:assert/strict";
import { serdes } from "../serdes/serde.ts";
import type { KStream } from "./kstream.ts";
import { StreamsBuilder } from "./streams-builder.ts";

const strings = { key: serdes.string(), value: serdes.string() };

test("groupBy then count describes two sub-topologies joined by a repartition topic, as Kafka Streams numbers them", () => {
  const b = new StreamsBuilder();
  b.stream("words", strings)
    .groupBy((_k, v) => v, { key: serdes.string() })
    .count({ store: "counts" })
    .toStream()
    .to("out", { key: serdes.string(), value: serdes.int64() });
  const topology = b.build();
  assert.equal(
    topology.describe(),
    [
      "Topologies:",
      "   Sub-topology: 0",
      "    Source: KSTREAM-SOURCE-0000000000 (topics: [words])",
      "      --> KSTREAM-KEY-SELECT-0000000001",
      "    Processor: KSTREAM-KEY-SELECT-0000000001 (stores: [])",
      "      --> KSTREAM-FILTER-0000000003",
      "      <-- KSTREAM-SOURCE-0000000000",
      "    Processor: KSTREAM-FILTER-0000000003 (stores: [])",
      "      --> KSTREAM-SINK-0000000004",
      "      <-- KSTREAM-KEY-SELECT-0000000001",
      "    Sink: KSTREAM-SINK-0000000004 (topic: KSTREAM-REPARTITION-0000000002-repartition)",
      "      <-- KSTREAM-FILTER-0000000003",
      "   Sub-topology: 1",
      "    Source: KSTREAM-SOURCE-0000000005 (topics: [KSTREAM-REPARTITION-0000000002-repartition])",
      "      --> KSTREAM-AGGREGATE-0000000006",
      "    Processor: KSTREAM-AGGREGATE-0000000006 (stores: [counts])",
      "      --> KTABLE-TOSTREAM-0000000007",
      "      <-- KSTREAM-SOURCE-0000000005",
      "    Processor: KTABLE-TOSTREAM-0000000007 (stores: [])",
      "      --> KSTREAM-SINK-0000000008",
      "      <-- KSTREAM-AGGREGATE-0000000006",
      "    Sink: KSTREAM-SINK-0000000008 (topic: out)",
      "      <-- KTABLE-TOSTREAM-0000000007",
      "",
    ].join("\n"),
  );
  assert.deepEqual(topology.sinkTopics(), ["out"]);
  assert.deepEqual(topology.externalSourceTopics(), ["words"]);
});

test("forApplication names the repartition topics <applicationId>-<name>-repartition in every node", () => {
  const b = new StreamsBuilder();
  b.stream("in", strings).selectKey((_k, v) => v).groupByKey({ name: "by-value", key: serdes.string() }).count().toStream().to("out", { key: serdes.string(), value: serdes.int64() });
  const topology = b.build().forApplication("shop");
  assert.deepEqual(topology.repartitionTopics.map((r) => r.name), ["shop-by-value-repartition"]);
  assert.deepEqual(topology.subTopologies.map((s) => s.sourceTopics), [["in"], ["shop-by-value-repartition"]]);
  assert.deepEqual(topology.subTopologies[0]!.sinkTopics, ["shop-by-value-repartition"]);
  assert.match(topology.describe(), /Sink: by-value-repartition-sink \(topic: shop-by-value-repartition\)/);
  assert.throws(() => topology.forApplication("other"), /already named for application shop/);
});

test("grouping without a key change needs no repartition topic", () => {
  const b = new StreamsBuilder();
  b.stream("in", strings).filter(() => true).mapValues((v) => v.length).groupByKey().count();
  const topology = b.build();
  assert.equal(topology.subTopologies.length, 1);
  assert.equal(topology.repartitionTopics.length, 0);
});

test("a key change survives key-keeping operators and merges: grouping after them still repartitions", () => {
  const b = new StreamsBuilder();
  const rekeyed = b.stream("a", strings).map((k, v): [string, string] => [v, k]);
  const other = b.stream("b", strings);
  rekeyed.filter(() => true).merge(other).peek(() => {}).groupByKey({ key: serdes.string(), value: serdes.string() }).count();
  assert.equal(b.build().repartitionTopics.length, 1);
});

test("after repartition() the key is settled: grouping needs no second repartition topic", () => {
  const b = new StreamsBuilder();
  b.stream("in", strings).selectKey((_k, v) => v).repartition({ name: "x", key: serdes.string() }).groupByKey().count();
  const topology = b.build();
  assert.equal(topology.repartitionTopics.length, 1);
  assert.equal(topology.subTopologies.length, 2);
});

test("sub-topologies are numbered by the sorted names of their sources", () => {
  const b = new StreamsBuilder();
  b.stream("z-topic", { ...strings, name: "zz-source" }).to("x", strings);
  b.stream("a-topic", { ...strings, name: "aa-source" }).to("y", strings);
  assert.deepEqual(b.build().subTopologies.map((s) => s.sourceTopics), [["a-topic"], ["z-topic"]]);
});

test("a repartition topic needs a valid name and a partition count ≥ 1", () => {
  const b = new StreamsBuilder();
  const s = b.stream("in", strings);
  assert.throws(() => s.repartition({ partitions: 0 }), /partitions must be a whole number ≥ 1/);
  assert.throws(() => s.repartition({ name: "a b" }), /may hold only letters/);
});

test("a split that was ended takes no more branches; branch names are unique", () => {
  const b = new StreamsBuilder();
  const split = b.stream("in", strings).split().branch(() => true, { name: "x" });
  assert.throws(() => split.branch(() => true, { name: "x" }), /two branches named x/);
  split.noDefaultBranch();
  assert.throws(() => split.branch(() => true), /already ended/);
});

// Compile-time checks: each `@ts-expect-error` fails `tsc --noEmit` if the line below it type-checks.
test("operators carry key and value types through the compiler", () => {
  const b = new StreamsBuilder();
  const s: KStream<string, number> = b.stream("in", { key: serdes.string(), value: serdes.json<number>() });
  const doubled: KStream<string, string> = s.flatMapValues((v) => [String(v), String(v * 2)]);
  const rekeyed: KStream<number, number> = s.selectKey((k) => k.length);
  const pairs: KStream<boolean, string> = s.flatMap((k, v) => [[v > 0, k] as const]);
  // @ts-expect-error the value is a number, the serde writes strings
  s.to("out", { key: serdes.string(), value: serdes.string() });
  // @ts-expect-error selectKey changed the key to a number
  rekeyed.to("out", { key: serdes.string(), value: serdes.json<number>() });
  // @ts-expect-error streams of different value types do not merge
  s.merge(doubled);
  // @ts-expect-error a topic chooser returns a topic name
  s.to((k, v) => v, { key: serdes.string(), value: serdes.json<number>() });
  const branches = s
    .split({ name: "p-" })
    .branch((_k, v): v is 1 => v === 1, { name: "one" })
    .defaultBranch({ name: "rest" });
  const one: KStream<string, 1> = branches["p-one"];
  const rest: KStream<string, number> = branches["p-rest"];
  // @ts-expect-error there is no branch named "p-two"
  void branches["p-two"];
  const numbers: KStream<string, number> = rest.merge(one);
  // @ts-expect-error groupBy needs the new key's serde
  assert.throws(() => s.groupBy((k) => k.length, {}), /needs \{ key: serde \}/);
  assert.ok(doubled && rekeyed && pairs && numbers);
});
