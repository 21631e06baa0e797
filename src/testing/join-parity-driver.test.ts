// Joins and tables: where a differential run against Kafka Streams 4.4's TopologyTestDriver
// (tools/kafka-streams-diff, the same inputs on both) found Weir's outputs apart, each case with Kafka Streams'
// output for it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { serdes } from "../serdes/serde.ts";
import { JoinWindows } from "../topology/join-windows.ts";
import { StreamsBuilder } from "../topology/streams-builder.ts";
import { records, strings, withDriver } from "./parity-fixtures.ts";

test("stream–stream joins: a null-key record is emitted with null at once by a side whose unmatched records are emitted, dropped by the others", () => {
  const b = new StreamsBuilder();
  const joiner = (l: string | null, r: string | null) => `${l}+${r}`;
  b.stream("L", strings).outerJoin(b.stream("R", strings), joiner, JoinWindows.ofTimeDifferenceAndGrace(10, 0)).to("outer", strings);
  b.stream("L2", strings).join(b.stream("R2", strings), joiner, JoinWindows.ofTimeDifferenceAndGrace(10, 0)).to("inner", strings);
  withDriver(b, (driver) => {
    driver.createInputTopic("L", serdes.string(), serdes.string()).pipeInput(null, "l1", 1000);
    driver.createInputTopic("R", serdes.string(), serdes.string()).pipeInput(null, "r1", 1001);
    driver.createInputTopic("L2", serdes.string(), serdes.string()).pipeInput(null, "l2", 1002);
    assert.deepEqual(driver.createOutputTopic("outer", serdes.string(), serdes.string()).readRecordsToList().map((r) => [r.key, r.value, r.timestamp]), [
      [null, "l1+null", 1000],
      [null, "null+r1", 1001],
    ]);
    assert.deepEqual(driver.createOutputTopic("inner", serdes.string(), serdes.string()).readRecordsToList(), []);
  });
});

test("a left stream–stream join holds a record's null result while a partner can still come: no (v, null) for a record joined later", () => {
  const b = new StreamsBuilder();
  b.stream("L", strings).leftJoin(b.stream("R", strings), (l, r) => `${l}+${r}`, JoinWindows.ofTimeDifferenceAndGrace(15, 5).before(5)).to("out", strings);
  withDriver(b, (driver) => {
    const left = driver.createInputTopic("L", serdes.string(), serdes.string());
    const right = driver.createInputTopic("R", serdes.string(), serdes.string());
    left.pipeInput("a", "l100", 1338);
    left.pipeInput("c", "l104", 1361); // past 1338 + 15 + 5, but a right record at 1351 is not late until 1351 + 5 + 5
    right.pipeInput("a", "r105", 1351); // joins l100 (1338 is within [1351 − 15, 1351 + 5])
    left.pipeInput("z", "end", 5000);
    assert.deepEqual(records(driver, "out", serdes.string()), [
      ["a", "l100+r105", 1351],
      ["c", "l104+null", 1361],
    ]);
  });
});

test("a join window's before (or after) may be negative while before + after ≥ 0, as in Kafka Streams", () => {
  const b = new StreamsBuilder();
  b.stream("L", strings).join(b.stream("R", strings), (l, r) => `${l}+${r}`, JoinWindows.ofTimeDifferenceAndGrace(15, 5).before(-5)).to("out", strings);
  withDriver(b, (driver) => {
    driver.createInputTopic("L", serdes.string(), serdes.string()).pipeInput("a", "l1", 1000);
    const right = driver.createInputTopic("R", serdes.string(), serdes.string());
    right.pipeInput("a", "r1", 1003); // less than 5 later: outside [1000 + 5, 1000 + 15]
    right.pipeInput("a", "r2", 1010);
    assert.deepEqual(records(driver, "out", serdes.string()), [["a", "l1+r2", 1010]]);
  });
  assert.throws(() => JoinWindows.ofTimeDifferenceAndGrace(15, 5).before(-16), /before \+ after ≥ 0/);
});

test("a stream–stream join's stream time is its own: a record that never reaches the join does not make its records late", () => {
  const b = new StreamsBuilder();
  b.stream("L", strings)
    .filter((_k, v) => v !== "skip")
    .join(b.stream("R", strings), (l, r) => `${l}+${r}`, JoinWindows.ofTimeDifferenceAndGrace(10, 0))
    .to("out", strings);
  withDriver(b, (driver) => {
    const left = driver.createInputTopic("L", serdes.string(), serdes.string());
    left.pipeInput("a", "l1", 1000);
    left.pipeInput("x", "skip", 5000); // the task's stream time: 5000; the join's: 1000
    driver.createInputTopic("R", serdes.string(), serdes.string()).pipeInput("a", "r1", 1005);
    assert.deepEqual(records(driver, "out", serdes.string()), [["a", "l1+r1", 1005]]);
  });
});

test("a table filter ahead of a left, outer or foreign-key join drops the updates it filters out of a row it never let through (Kafka Streams' sendOldValues)", () => {
  const kept = (_k: string, v: string) => !v.startsWith("x");
  const b = new StreamsBuilder();
  const left = b.table("left", { ...strings, store: "l" });
  const right = b.table("right", { ...strings, store: "r" });
  const filtered = left.filter(kept);
  filtered.leftJoin(right, (l, r) => `${l}+${r}`).toStream().to("left-join", strings);
  left.outerJoin(right.filter(kept), (l, r) => `${l}+${r}`).toStream().to("outer-join", strings);
  filtered.toStream().to("filtered", strings);
  withDriver(b, (driver) => {
    const l = driver.createInputTopic("left", serdes.string(), serdes.string());
    const r = driver.createInputTopic("right", serdes.string(), serdes.string());
    r.pipeInput("a", "r", 1);
    l.pipeInput("a", "xl", 2); // filtered out of a row that was never there: nothing for the left join
    l.pipeInput("a", "l", 3);
    l.pipeInput("a", "xl", 4); // the row goes: a tombstone
    l.pipeInput("a", "xl2", 5); // still gone: nothing
    l.pipeInput("a", null, 6);
    r.pipeInput("b", "xr", 7); // filtered out of the outer join's right side: nothing
    assert.deepEqual(records(driver, "left-join", serdes.string()), [
      ["a", "l+r", 3],
      ["a", null, 4],
    ]);
    assert.deepEqual(records(driver, "outer-join", serdes.string()), [
      ["a", "null+r", 1],
      ["a", "xl+r", 2],
      ["a", "l+r", 3],
      ["a", "xl+r", 4],
      ["a", "xl2+r", 5],
      ["a", "null+r", 6],
    ]);
    // The filter that also feeds the left join drops them for toStream too (one processor, as in Kafka Streams).
    assert.deepEqual(records(driver, "filtered", serdes.string()), [
      ["a", "l", 3],
      ["a", null, 4],
    ]);
  });
  const plain = new StreamsBuilder();
  plain.table("left", { ...strings, store: "l" }).filter(kept).toStream().to("filtered", strings);
  withDriver(plain, (driver) => {
    const l = driver.createInputTopic("left", serdes.string(), serdes.string());
    l.pipeInput("a", "xl", 1); // without a reader of old values: a tombstone for every filtered-out update
    l.pipeInput("a", "xl2", 2);
    assert.deepEqual(records(driver, "filtered", serdes.string()), [
      ["a", null, 1],
      ["a", null, 2],
    ]);
  });
  const fk = new StreamsBuilder();
  const orders = fk.table("orders", { ...strings, store: "orders" });
  const products = fk.table("products", { ...strings, store: "products" }).filter(kept);
  orders.join(products, (o) => o.split(":")[0]!, (o, p) => `${o}+${p}`).toStream().to("fk", strings);
  withDriver(fk, (driver) => {
    driver.createInputTopic("orders", serdes.string(), serdes.string()).pipeInput("a", "f1:l", 1759);
    driver.createInputTopic("products", serdes.string(), serdes.string()).pipeInput("f1", "xr", 1797);
    assert.deepEqual(records(driver, "fk", serdes.string()), []);
  });
});

test("a foreign-key join's result for a right-table update carries the right row's timestamp, as Kafka Streams' response join", () => {
  const b = new StreamsBuilder();
  const orders = b.table("orders", { ...strings, store: "orders" });
  const products = b.table("products", { ...strings, store: "products" });
  orders.join(products, (o) => o.split(":")[0]!, (o, p) => `${o}+${p}`).toStream().to("fk", strings);
  withDriver(b, (driver) => {
    driver.createInputTopic("orders", serdes.string(), serdes.string()).pipeInput("a", "f1:l", 7);
    const p = driver.createInputTopic("products", serdes.string(), serdes.string());
    p.pipeInput("f1", "r", 2); // answers the subscriber a: stamped 2, not the later left row's 7
    driver.createInputTopic("orders", serdes.string(), serdes.string()).pipeInput("b", "f1:m", 1); // a subscription: max(1, 2)
    assert.deepEqual(records(driver, "fk", serdes.string()), [
      ["a", "f1:l+r", 2],
      ["b", "f1:m+r", 2],
    ]);
  });
});
