import { test } from "node:test";
import assert from "node:assert/strict";
import { serdes } from "../serdes/serde.ts";
import { StreamsBuilder } from "../topology/streams-builder.ts";
import { Suppressed } from "../topology/ktable.ts";
import type { TableJoinKind } from "./join-table-table.ts";
import { joinTask, strings } from "./join-test-fixtures.ts";

// Kafka Streams' KTable-KTable joins (docs, "KTable-KTable Equi-Join"): an update on either side is
// joined with the other side's current row; the result is a table, so a key whose row stops existing
// gets a tombstone (inner: either side deleted while the other exists; left: the left row deleted;
// outer: the last of both deleted). Updates that cannot produce a row emit nothing.

function tableTable(kind: TableJoinKind, store?: string) {
  return joinTask((b) => {
    const l = b.table("left", { ...strings, store: "l" });
    const r = b.table("right", { ...strings, store: "r" });
    const materialized = store ? { store, value: serdes.string() } : {};
    const joined =
      kind === "inner"
        ? l.join(r, (a, c) => `${a}+${c}`, materialized)
        : kind === "left"
          ? l.leftJoin(r, (a, c) => `${a}+${c}`, materialized)
          : l.outerJoin(r, (a, c) => `${a}+${c}`, materialized);
    joined.toStream().to("out", strings);
  });
}

test("an inner table–table join emits while both sides have the key, and a tombstone when one side is deleted", () => {
  const t = tableTable("inner");
  t.pipe("left", "a", "1"); // no right row: nothing
  t.pipe("right", "a", "x"); // 1+x
  t.pipe("left", "a", "2"); // 2+x
  t.pipe("right", "b", "y"); // no left row: nothing
  t.pipe("right", "a", null); // the row stops existing: tombstone
  t.pipe("left", "a", null); // no right row: nothing
  assert.deepEqual(t.outputs, [
    ["out", "a", "1+x"],
    ["out", "a", "2+x"],
    ["out", "a", null],
  ]);
});

test("a left table–table join emits for every left row, with null for a missing right row", () => {
  const t = tableTable("left");
  t.pipe("left", "a", "1"); // 1+null
  t.pipe("right", "a", "x"); // 1+x
  t.pipe("right", "a", null); // 1+null
  t.pipe("right", "b", "y"); // no left row: nothing
  t.pipe("left", "a", null); // tombstone
  t.pipe("right", "a", "z"); // no left row: nothing
  assert.deepEqual(t.outputs, [
    ["out", "a", "1+null"],
    ["out", "a", "1+x"],
    ["out", "a", "1+null"],
    ["out", "a", null],
  ]);
});

test("an outer table–table join emits while either side has the key, and a tombstone once neither has", () => {
  const t = tableTable("outer");
  t.pipe("left", "a", "1"); // 1+null
  t.pipe("right", "b", "y"); // null+y
  t.pipe("right", "a", "x"); // 1+x
  t.pipe("left", "a", null); // null+x
  t.pipe("right", "a", null); // tombstone
  assert.deepEqual(t.outputs, [
    ["out", "a", "1+null"],
    ["out", "b", "null+y"],
    ["out", "a", "1+x"],
    ["out", "a", "null+x"],
    ["out", "a", null],
  ]);
});

test("a materialized table–table join keeps the joined rows in its store", () => {
  const t = tableTable("inner", "joined");
  t.pipe("left", "a", "1");
  t.pipe("right", "a", "x");
  t.pipe("left", "b", "2");
  t.pipe("right", "b", "y");
  t.pipe("left", "b", null);
  assert.equal(t.store("joined").get("a"), "1+x");
  assert.equal(t.store("joined").get("b"), undefined);
  assert.deepEqual(t.outputs.at(-1), ["out", "b", null]);
});

test("a table–table join of a suppressed table is refused at build time, naming what to do", () => {
  const b = new StreamsBuilder();
  const l = b.table("left", { ...strings, store: "l" }).suppress(Suppressed.untilTimeLimit(10));
  const r = b.table("right", { ...strings, store: "r" });
  assert.throws(() => l.join(r, (a, c) => `${a}${c}`), /toStream\(\)\.toTable\(\)/);
});

test("a joined table with a store can be joined again", () => {
  const t = joinTask((b) => {
    const l = b.table("left", { ...strings, store: "l" });
    const r = b.table("right", { ...strings, store: "r" });
    const s = b.table("third", { ...strings, store: "s" });
    l.join(r, (a, c) => `${a}+${c}`, { store: "lr", value: serdes.string() })
      .join(s, (ac, d) => `${ac}+${d}`)
      .toStream()
      .to("out", strings);
  });
  t.pipe("third", "a", "z");
  t.pipe("left", "a", "1");
  t.pipe("right", "a", "x");
  assert.deepEqual(t.outputs, [["out", "a", "1+x+z"]]);
});
