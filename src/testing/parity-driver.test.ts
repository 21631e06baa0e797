// Issue 15, items 1–3: Weir's outputs equal Kafka Streams' on the minimal cases, record by record, timestamps
// included. Each expected output is worked out by hand from Kafka Streams' processors (KStreamAggregate,
// KStreamReduce, KTableKTable*Join, KStreamSlidingWindowAggregate.processReverse).
import { test } from "node:test";
import assert from "node:assert/strict";
import { serdes } from "../serdes/serde.ts";
import { StreamsBuilder } from "../topology/streams-builder.ts";
import { SlidingWindows, TimeWindows } from "../topology/windows.ts";
import { JoinWindows } from "../topology/join-windows.ts";
import { EmitStrategy } from "../processor/emit-on-close.ts";
import { Suppressed } from "../topology/ktable.ts";
import type { KTable } from "../topology/ktable.ts";
import type { KGroupedStream } from "../topology/kgrouped-stream.ts";
import type { Windowed } from "../processor/windowed.ts";
import { TopologyTestDriver } from "./topology-test-driver.ts";

const strings = { key: serdes.string(), value: serdes.string() };
const ints = { key: serdes.string(), value: serdes.int64() };

/** Runs `driver`-using `body` and closes the driver. */
function withDriver(b: StreamsBuilder, body: (driver: TopologyTestDriver) => void): void {
  const driver = new TopologyTestDriver(b.build());
  try {
    body(driver);
  } finally {
    driver.close();
  }
}

function records<V>(driver: TopologyTestDriver, topic: string, value: { deserialize(d: Buffer, t: string): V; serialize(v: V, t: string): Buffer; name: string }) {
  return driver.createOutputTopic(topic, serdes.string(), value).readRecordsToList().map((r) => [r.key, r.value, r.timestamp]);
}

/** `key[start,end]` → count, from a windowed count; null keys and values pass through the input. */
function windowedCountOf(b: StreamsBuilder, windowed: (grouped: KGroupedStream<string, string>) => KTable<Windowed<string>, number>): void {
  windowed(b.stream("in", strings).groupByKey())
    .toStream()
    .map((w, n): readonly [string, number] => [`${w.key}[${w.window.start},${w.window.end}]`, n])
    .to("out", ints);
}

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

// --- Found by a differential run against Kafka Streams 4.4's TopologyTestDriver (the same inputs on both) ---

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
