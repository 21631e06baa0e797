import { test } from "node:test";
import assert from "node:assert/strict";
import { joinTask, strings } from "./join-test-fixtures.ts";

// Kafka Streams' KStream-KTable join: the table is looked up when a stream record is processed; table
// updates change later lookups but never emit (docs: "Only input records for the left side (stream)
// trigger the join"). Inner drops a record with no row; left joins it with null.

function streamTable(left: boolean) {
  return joinTask((b) => {
    const table = b.table("users", { ...strings, store: "users-store" });
    const clicks = b.stream("clicks", strings);
    const joined = left ? clicks.leftJoin(table, (c, u) => `${c}@${u}`) : clicks.join(table, (c, u) => `${c}@${u}`);
    joined.to("out", strings);
  });
}

test("a stream–table inner join emits the stream record with the table's row at processing time", () => {
  const t = streamTable(false);
  t.pipe("users", "a", "alice");
  t.pipe("clicks", "a", "c1");
  t.pipe("clicks", "b", "c2");
  t.pipe("users", "a", "alice2");
  t.pipe("users", "b", "bob");
  t.pipe("clicks", "a", "c3");
  t.pipe("clicks", "b", "c4");
  t.pipe("users", "a", null);
  t.pipe("clicks", "a", "c5");
  assert.deepEqual(t.outputs, [
    ["out", "a", "c1@alice"],
    ["out", "a", "c3@alice2"],
    ["out", "b", "c4@bob"],
  ]);
});

test("a stream–table left join joins a record without a row with null", () => {
  const t = streamTable(true);
  t.pipe("clicks", "a", "c1");
  t.pipe("users", "a", "alice");
  t.pipe("clicks", "a", "c2");
  t.pipe("users", "a", null);
  t.pipe("clicks", "a", "c3");
  assert.deepEqual(t.outputs, [
    ["out", "a", "c1@null"],
    ["out", "a", "c2@alice"],
    ["out", "a", "c3@null"],
  ]);
});

test("a stream record with a null key is dropped by an inner join and joined with null by a left join", () => {
  const inner = streamTable(false);
  inner.pipe("clicks", null, "c1");
  assert.deepEqual(inner.outputs, []);
  assert.equal(inner.task.dropped.get("null key in a stream-table join"), 1);
  const left = streamTable(true);
  left.pipe("clicks", null, "c1");
  assert.deepEqual(left.outputs, [["out", null, "c1@null"]]);
});

test("a stream record with a null value is dropped and counted", () => {
  const t = streamTable(true);
  t.pipe("clicks", "a", null);
  assert.deepEqual(t.outputs, []);
  assert.equal(t.task.dropped.get("null value in a stream-table join"), 1);
});

test("a table source upserts its store, deletes on a tombstone, and forwards both", () => {
  const t = joinTask((b) => b.table("users", { ...strings, store: "users-store" }).toStream().to("out", strings));
  t.pipe("users", "a", "alice");
  t.pipe("users", "b", "bob");
  t.pipe("users", "a", null);
  t.pipe("users", null, "nobody");
  assert.deepEqual(t.outputs, [
    ["out", "a", "alice"],
    ["out", "b", "bob"],
    ["out", "a", null],
  ]);
  assert.equal(t.store("users-store").get("a"), undefined);
  assert.equal(t.store("users-store").get("b"), "bob");
  assert.equal(t.task.dropped.get("null key in a table source"), 1);
});

test("the stream and the table of a join are one sub-topology, and describe() shows the join reading the table's store", () => {
  const t = streamTable(false);
  assert.deepEqual([...t.topology.subTopologies[0]!.sourceTopics].sort(), ["clicks", "users"]);
  assert.match(t.topology.describe(), /Processor: KSTREAM-JOIN-\d+ \(stores: \[users-store\]\)/);
  assert.match(t.topology.describe(), /Processor: KTABLE-SOURCE-\d+ \(stores: \[users-store\]\)/);
});
