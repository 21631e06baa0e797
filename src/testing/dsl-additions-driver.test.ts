// Issue 15's DSL additions through the TopologyTestDriver: KStream.toTable() and joins on derived tables
// (mapValues, filter, unmaterialized join results), with hand-computed outputs.
import { test } from "node:test";
import assert from "node:assert/strict";
import { serdes } from "../serdes/serde.ts";
import { EmitStrategy } from "../processor/emit-on-close.ts";
import { StreamsBuilder } from "../topology/streams-builder.ts";
import { SlidingWindows, TimeWindows } from "../topology/windows.ts";
import { TopologyTestDriver } from "./topology-test-driver.ts";

const strings = { key: serdes.string(), value: serdes.string() };

function run(b: StreamsBuilder, body: (driver: TopologyTestDriver) => void): void {
  const driver = new TopologyTestDriver(b.build());
  try {
    body(driver);
  } finally {
    driver.close();
  }
}

function out(driver: TopologyTestDriver, topic = "out") {
  return driver.createOutputTopic(topic, serdes.string(), serdes.string()).readRecordsToList().map((r) => [r.key, r.value, r.timestamp]);
}

test("toTable: each record upserts its key and a null value deletes it; a stream joined to it sees the latest row", () => {
  const b = new StreamsBuilder();
  const prices = b.stream("prices", strings).toTable({ store: "prices" });
  prices.toStream().to("changes", strings);
  b.stream("orders", strings).leftJoin(prices, (o, p) => `${o}@${p}`).to("out", strings);
  run(b, (driver) => {
    assert.match(driver.topology.describe(), /Processor: KSTREAM-TOTABLE-\d+ \(stores: \[prices\]\)/);
    const p = driver.createInputTopic("prices", serdes.string(), serdes.string());
    const o = driver.createInputTopic("orders", serdes.string(), serdes.string());
    p.pipeInput("pen", "1", 100);
    p.pipeInput("pen", "2", 200);
    o.pipeInput("pen", "o1", 300); // o1@2
    p.pipeInput("pen", null, 400);
    o.pipeInput("pen", "o2", 500); // o2@null
    p.pipeInput(null, "3", 600); // no key: dropped
    assert.deepEqual(out(driver), [
      ["pen", "o1@2", 300],
      ["pen", "o2@null", 500],
    ]);
    assert.deepEqual(out(driver, "changes"), [
      ["pen", "1", 100],
      ["pen", "2", 200],
      ["pen", null, 400],
    ]);
    assert.equal(driver.getKeyValueStore("prices").get("pen"), undefined);
  });
});

test("toTable after a key change goes through a repartition topic and keeps the row's timestamp in its store", () => {
  const b = new StreamsBuilder();
  b.stream("in", strings)
    .selectKey((_k, v) => v.split(":")[0]!)
    .toTable({ store: "latest", name: "by-user", key: serdes.string() })
    .toStream()
    .to("out", strings);
  const topology = b.build();
  assert.match(topology.describe(), /Sink: by-user-repartition-sink \(topic: by-user-repartition\)/);
  assert.match(topology.describe(), /Processor: by-user \(stores: \[latest\]\)/);
  const driver = new TopologyTestDriver(topology);
  try {
    const input = driver.createInputTopic("in", serdes.string(), serdes.string());
    input.pipeInput("x", "ann:1", 10);
    input.pipeInput("y", "ann:2", 20);
    assert.deepEqual(out(driver), [
      ["ann", "ann:1", 10],
      ["ann", "ann:2", 20],
    ]);
    assert.deepEqual(driver.getTimestampedKeyValueStore("latest").get("ann"), { value: "ann:2", timestamp: 20 });
  } finally {
    driver.close();
  }
});

test("a table–table join on mapValues and filter results computes their rows from the parent stores", () => {
  const b = new StreamsBuilder();
  const users = b.table("users", { ...strings, store: "users" });
  const active = users.filter((_k, v) => !v.endsWith("!")).mapValues((v) => v.toUpperCase());
  const plans = b.table("plans", { ...strings, store: "plans" }).mapValues((p) => `plan-${p}`);
  active.join(plans, (u, p) => `${u}/${p}`).toStream().to("out", strings);
  run(b, (driver) => {
    const u = driver.createInputTopic("users", serdes.string(), serdes.string());
    const p = driver.createInputTopic("plans", serdes.string(), serdes.string());
    u.pipeInput("a", "ann", 100);
    p.pipeInput("a", "pro", 300); // ANN/plan-pro@300: the plans side reads users through filter and mapValues
    u.pipeInput("a", "ann!", 200); // filtered out: the joined row goes (tombstone at the later row, 300)
    p.pipeInput("a", "free", 400); // the users side is filtered out: nothing
    u.pipeInput("a", "bob", 500); // BOB/plan-free@500
    assert.deepEqual(out(driver), [
      ["a", "ANN/plan-pro", 300],
      ["a", null, 300],
      ["a", "BOB/plan-free", 500],
    ]);
  });
});

test("a stream–table join on an unmaterialized table–table join reads both tables' rows", () => {
  const b = new StreamsBuilder();
  const names = b.table("names", { ...strings, store: "names" });
  const cities = b.table("cities", { ...strings, store: "cities" });
  const profiles = names.leftJoin(cities, (n, c) => `${n} in ${c ?? "?"}`);
  b.stream("visits", strings).join(profiles, (v, p) => `${v}: ${p}`).to("out", strings);
  run(b, (driver) => {
    driver.createInputTopic("names", serdes.string(), serdes.string()).pipeInput("a", "ann", 1);
    const visits = driver.createInputTopic("visits", serdes.string(), serdes.string());
    visits.pipeInput("a", "v1", 10);
    driver.createInputTopic("cities", serdes.string(), serdes.string()).pipeInput("a", "oslo", 2);
    visits.pipeInput("a", "v2", 20);
    visits.pipeInput("b", "v3", 30); // no name: no profile row, inner join drops it
    assert.deepEqual(out(driver), [
      ["a", "v1: ann in ?", 10],
      ["a", "v2: ann in oslo", 20],
    ]);
  });
});

test("EmitStrategy.onWindowClose: a time-windowed count emits each window once, when stream time reaches end + grace", () => {
  const b = new StreamsBuilder();
  b.stream("clicks", strings)
    .groupByKey()
    .windowedBy(TimeWindows.ofSizeAndGrace(10, 5))
    .emitStrategy(EmitStrategy.onWindowClose())
    .count()
    .toStream()
    .map((w, n): readonly [string, string] => [`${w.key}[${w.window.start},${w.window.end})`, String(n)])
    .to("out", strings);
  run(b, (driver) => {
    const input = driver.createInputTopic("clicks", serdes.string(), serdes.string());
    input.pipeInput("a", "1", 1);
    input.pipeInput("a", "2", 3);
    input.pipeInput("a", "3", 12); // stream time 12: [0,10) closes at 15
    assert.deepEqual(out(driver), []);
    input.pipeInput("b", "1", 15); // closes [0,10): a=2, stamped with its latest record (3)
    input.pipeInput("a", "4", 8); // late for [0,10): dropped, no second result
    input.pipeInput("b", "2", 26); // closes [10,20): a=1 and b=1, by key
    assert.deepEqual(out(driver), [
      ["a[0,10)", "2", 3],
      ["a[10,20)", "1", 12],
      ["b[10,20)", "1", 15],
    ]);
  });
});

test("EmitStrategy.onWindowClose: a sliding-window count emits each window once, when stream time passes end + grace", () => {
  const b = new StreamsBuilder();
  b.stream("clicks", strings)
    .groupByKey()
    .windowedBy(SlidingWindows.ofTimeDifferenceWithNoGrace(10))
    .emitStrategy(EmitStrategy.onWindowClose())
    .count()
    .toStream()
    .map((w, n): readonly [string, string] => [`${w.key}[${w.window.start},${w.window.end}]`, String(n)])
    .to("out", strings);
  run(b, (driver) => {
    const input = driver.createInputTopic("clicks", serdes.string(), serdes.string());
    input.pipeInput("a", "1", 20); // [10,20]
    input.pipeInput("z", "1", 20); // stream time 20 = end: still open (the window includes its end)
    assert.deepEqual(out(driver), []);
    input.pipeInput("z", "2", 21); // 21 > 20 + 0: a[10,20] and z[10,20] close; z's right window [21,31] opens
    input.pipeInput("z", "3", 40); // closes z[11,21] and z[21,31]
    assert.deepEqual(out(driver), [
      ["a[10,20]", "1", 20],
      ["z[10,20]", "1", 20],
      ["z[11,21]", "2", 21],
      ["z[21,31]", "1", 21],
    ]);
  });
});
