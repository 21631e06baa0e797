// Issue 15, items 1–3: Weir's outputs equal Kafka Streams' on the minimal cases, record by record, timestamps
// included. Each expected output is worked out by hand from Kafka Streams' processors (KStreamAggregate,
// KStreamReduce, KTableKTable*Join, KStreamSlidingWindowAggregate.processReverse). What a differential run
// against Kafka Streams 4.4 found later is in window-parity-driver.test.ts and join-parity-driver.test.ts.
import { test } from "node:test";
import assert from "node:assert/strict";
import { serdes } from "../serdes/serde.ts";
import { StreamsBuilder } from "../topology/streams-builder.ts";
import { SlidingWindows } from "../topology/windows.ts";
import type { KTable } from "../topology/ktable.ts";
import { ints, records, strings, withDriver } from "./parity-fixtures.ts";

// --- 1. Result timestamps ---

test("a grouped reduce stamps each result with the largest timestamp of its records: a:5@2000, a:7@1000 → 12@2000", () => {
  const b = new StreamsBuilder();
  b.stream("in", ints).groupByKey().reduce((x, y) => x + y).toStream().to("out", ints);
  withDriver(b, (driver) => {
    const input = driver.createInputTopic("in", serdes.string(), serdes.int64());
    input.pipeInput("a", 5, 2000);
    input.pipeInput("a", 7, 1000);
    assert.deepEqual(records(driver, "out", serdes.int64()), [
      ["a", 5, 2000],
      ["a", 12, 2000],
    ]);
  });
});

test("count and aggregate after a key change (selectKey, repartition) stamp the largest timestamp too", () => {
  const b = new StreamsBuilder();
  const rekeyed = b.stream("in", strings).selectKey((_k, v) => v);
  rekeyed.groupByKey({ key: serdes.string(), value: serdes.string() }).count().toStream().to("counts", ints);
  rekeyed
    .groupBy((_k, v) => v, { key: serdes.string(), value: serdes.string(), name: "by-value" })
    .aggregate(() => "", (_k, v, agg) => agg + v.length, { value: serdes.string() })
    .toStream()
    .to("lengths", strings);
  withDriver(b, (driver) => {
    const input = driver.createInputTopic("in", serdes.string(), serdes.string());
    input.pipeInput("x", "a", 3000);
    input.pipeInput("y", "a", 1000);
    input.pipeInput("z", "a", 4000);
    assert.deepEqual(records(driver, "counts", serdes.int64()), [
      ["a", 1, 3000],
      ["a", 2, 3000],
      ["a", 3, 4000],
    ]);
    assert.deepEqual(records(driver, "lengths", serdes.string()), [
      ["a", "1", 3000],
      ["a", "11", 3000],
      ["a", "111", 4000],
    ]);
    assert.deepEqual(driver.getTimestampedKeyValueStore<string, number>(driver.topology.subTopologies[1]!.stores[0]!.name).get("a"), { value: 3, timestamp: 4000 });
  });
});

test("a table–table join stamps each result with the later of the two rows", () => {
  const b = new StreamsBuilder();
  const left = b.table("left", { ...strings, store: "l" });
  const right = b.table("right", { ...strings, store: "r" });
  left.join(right, (l, r) => `${l}+${r}`, { store: "joined", value: serdes.string() }).toStream().to("inner-out", strings);
  left.leftJoin(right, (l, r) => `${l}+${r}`).toStream().to("left-out", strings);
  withDriver(b, (driver) => {
    const l = driver.createInputTopic("left", serdes.string(), serdes.string());
    const r = driver.createInputTopic("right", serdes.string(), serdes.string());
    l.pipeInput("a", "1", 1000); // left: 1+null@1000 (no right row: the record's own time)
    r.pipeInput("a", "x", 3000); // inner and left: 1+x@3000
    l.pipeInput("a", "2", 2000); // the right row is later: 2+x@3000
    r.pipeInput("a", "y", 2500); // the left row (2000) is earlier: 2+y@2500
    assert.deepEqual(records(driver, "inner-out", serdes.string()), [
      ["a", "1+x", 3000],
      ["a", "2+x", 3000],
      ["a", "2+y", 2500],
    ]);
    assert.deepEqual(records(driver, "left-out", serdes.string()), [
      ["a", "1+null", 1000],
      ["a", "1+x", 3000],
      ["a", "2+x", 3000],
      ["a", "2+y", 2500],
    ]);
    assert.deepEqual(driver.getTimestampedKeyValueStore("joined").get("a"), { value: "2+y", timestamp: 2500 });
    assert.equal(driver.getKeyValueStore("joined").get("a"), "2+y", "the plain view of a KTable's store");
  });
});

// --- 2. Tombstones of table–table left and outer joins ---

function joins(b: StreamsBuilder): { left: KTable<string, string>; right: KTable<string, string> } {
  const left = b.table("left", { ...strings, store: "l" });
  const right = b.table("right", { ...strings, store: "r" });
  left.leftJoin(right, (l, r) => `${l}+${r}`).toStream().to("left-join", strings);
  left.outerJoin(right, (l, r) => `${l}+${r}`).toStream().to("outer-join", strings);
  return { left, right };
}

test("a deletion of a key neither table holds emits nothing from a left or an outer join: right a:null on empty tables", () => {
  const b = new StreamsBuilder();
  joins(b);
  withDriver(b, (driver) => {
    driver.createInputTopic("right", serdes.string(), serdes.string()).pipeInput("a", null, 1000);
    driver.createInputTopic("left", serdes.string(), serdes.string()).pipeInput("b", null, 1000);
    assert.deepEqual(records(driver, "left-join", serdes.string()), []);
    assert.deepEqual(records(driver, "outer-join", serdes.string()), []);
  });
});

test("a left join's tombstones follow Kafka Streams: for a deleted left row, and for a left deletion while the right row exists", () => {
  const b = new StreamsBuilder();
  joins(b);
  withDriver(b, (driver) => {
    const l = driver.createInputTopic("left", serdes.string(), serdes.string());
    const r = driver.createInputTopic("right", serdes.string(), serdes.string());
    l.pipeInput("a", "1", 1000); // 1+null
    l.pipeInput("a", null, 1100); // the row existed: tombstone
    l.pipeInput("a", null, 1200); // it no longer does, no right row: nothing
    r.pipeInput("b", "y", 1300); // no left row: nothing
    // The left row never existed, but a right row does: Kafka Streams' KTableKTableLeftJoin sends a
    // tombstone (it checks the right row, not whether a joined row existed); Weir does the same.
    l.pipeInput("b", null, 1400);
    r.pipeInput("b", null, 1500); // the right side of a left join never deletes: no left row, nothing
    assert.deepEqual(records(driver, "left-join", serdes.string()), [
      ["a", "1+null", 1000],
      ["a", null, 1100],
      ["b", null, 1400],
    ]);
  });
});

test("an outer join sends a tombstone only when the last row of the key goes", () => {
  const b = new StreamsBuilder();
  joins(b);
  withDriver(b, (driver) => {
    const l = driver.createInputTopic("left", serdes.string(), serdes.string());
    const r = driver.createInputTopic("right", serdes.string(), serdes.string());
    l.pipeInput("a", "1", 1000); // 1+null
    r.pipeInput("a", "x", 2000); // 1+x
    l.pipeInput("a", null, 3000); // null+x@3000 (the right row is older)
    r.pipeInput("a", null, 4000); // tombstone
    r.pipeInput("a", null, 5000); // nothing left to delete: nothing
    l.pipeInput("a", null, 6000); // nothing
    assert.deepEqual(records(driver, "outer-join", serdes.string()), [
      ["a", "1+null", 1000],
      ["a", "1+x", 2000],
      ["a", "null+x", 3000],
      ["a", null, 4000],
    ]);
  });
});

test("a left join on a filtered table emits nothing for a row the filter never let through", () => {
  const b = new StreamsBuilder();
  const left = b.table("left", { ...strings, store: "l" }).filter((_k, v) => v !== "skip");
  const right = b.table("right", { ...strings, store: "r" });
  left.leftJoin(right, (l, r) => `${l}+${r}`).toStream().to("out", strings);
  withDriver(b, (driver) => {
    const l = driver.createInputTopic("left", serdes.string(), serdes.string());
    l.pipeInput("a", "skip", 1000); // filtered out, never was in: nothing (Kafka Streams' filter sends old values here)
    l.pipeInput("a", "1", 2000); // 1+null
    l.pipeInput("a", "skip", 3000); // the row leaves the filtered table: tombstone
    assert.deepEqual(records(driver, "out", serdes.string()), [
      ["a", "1+null", 2000],
      ["a", null, 3000],
    ]);
  });
});

// --- 3. Order of sliding-window updates ---

test("a record that updates several sliding windows updates them from the latest start to the earliest", () => {
  const b = new StreamsBuilder();
  b.stream("in", strings)
    .groupByKey()
    .windowedBy(SlidingWindows.ofTimeDifferenceAndGrace(10, 100))
    .count()
    .toStream()
    .map((w, n): readonly [string, number] => [`${w.key}[${w.window.start},${w.window.end}]`, n])
    .to("out", ints);
  withDriver(b, (driver) => {
    const input = driver.createInputTopic("in", serdes.string(), serdes.string());
    input.pipeInput("a", "A", 20); // [10,20]=1
    input.pipeInput("a", "B", 25); // the right window of A [21,31]=1, then B's left window [15,25]=2
    // C at 22: the windows holding it, latest first ([21,31], then [15,25]), then its left window [12,22]
    // (seeded from [10,20]) and its right window [23,33] (B only).
    input.pipeInput("a", "C", 22);
    assert.deepEqual(records(driver, "out", serdes.int64()), [
      ["a[10,20]", 1, 20],
      ["a[21,31]", 1, 25],
      ["a[15,25]", 2, 25],
      ["a[21,31]", 2, 25],
      ["a[15,25]", 3, 25],
      ["a[12,22]", 2, 22],
      ["a[23,33]", 1, 25],
    ]);
  });
});
