import { test } from "node:test";
import assert from "node:assert/strict";
import { JoinWindows } from "../topology/join-windows.ts";
import { StreamsBuilder } from "../topology/streams-builder.ts";
import type { StreamJoinKind } from "./join-stream-stream.ts";
import { joinTask, strings } from "./join-test-fixtures.ts";

// Kafka Streams' KStream-KStream join (docs "KStream-KStream Join", KIP-633 and the ≥ 3.1 behaviour of
// KStreamKStreamJoin): with JoinWindows.ofTimeDifferenceAndGrace(10, 5) a left record at t joins right
// records of its key at [t − 10, t + 10] (bounds inclusive), whichever side arrives first; a joined result
// has the larger timestamp of the two. A record with t + 10 + 5 < stream time is late and dropped. Left and
// outer joins emit an unmatched record with null only when stream time passes t + 10 + 5 (its window has
// closed), so a record joined later never also gets a null result; those results carry the record's time.

function streamStream(kind: StreamJoinKind) {
  return joinTask((b) => {
    const left = b.stream("L", strings);
    const right = b.stream("R", strings);
    const windows = JoinWindows.ofTimeDifferenceAndGrace(10, 5);
    const joined =
      kind === "inner"
        ? left.join(right, (l, r) => `${l}+${r}`, windows)
        : kind === "left"
          ? left.leftJoin(right, (l, r) => `${l}+${r}`, windows)
          : left.outerJoin(right, (l, r) => `${l}+${r}`, windows);
    joined.to("out", strings);
  });
}

test("an inner stream–stream join joins records of a key within the time difference, whichever comes first", () => {
  const t = streamStream("inner");
  t.pipe("L", "a", "l1", 100);
  t.pipe("R", "a", "r1", 105); // 5 after l1: joins
  t.pipe("R", "a", "r2", 111); // 11 after l1: outside
  t.pipe("L", "a", "l2", 110); // r1 and r2 within 10
  t.pipe("R", "b", "rb", 200);
  t.pipe("L", "b", "lb", 210); // exactly 10 after rb: the bound is inclusive
  assert.deepEqual(t.outputs, [
    ["out", "a", "l1+r1"],
    ["out", "a", "l2+r1"],
    ["out", "a", "l2+r2"],
    ["out", "b", "lb+rb"],
  ]);
  assert.deepEqual(t.timestamps, [105, 110, 111, 210]);
});

test("a record later than its window end plus grace is dropped and counted; one inside grace still joins", () => {
  const t = streamStream("inner");
  t.pipe("L", "a", "l1", 180);
  t.pipe("R", "x", "rx", 210); // stream time 210
  t.pipe("L", "a", "late", 194); // 194 + 10 + 5 = 209 < 210: late
  t.pipe("R", "a", "r1", 195); // 195 + 10 + 5 = 210, not < 210: within grace (15 after l1: no join)
  t.pipe("R", "a", "r2", 190); // 190 + 15 = 205 < 210: late
  t.pipe("R", "a", "r3", 196); // within grace, 16 after l1: no join
  t.pipe("L", "a", "l2", 200); // within grace; joins r1 (5) and r3 (4)
  assert.deepEqual(t.outputs, [
    ["out", "a", "l2+r1"],
    ["out", "a", "l2+r3"],
  ]);
  assert.equal(t.task.dropped.get("late record in a stream-stream join"), 2);
});

test("a left stream–stream join emits an unmatched left record with null only after its window closes", () => {
  const t = streamStream("left");
  t.pipe("L", "a", "l1", 100);
  t.pipe("R", "a", "r1", 108); // l1 is joined: it will never be emitted with null
  t.pipe("L", "b", "l2", 110); // unmatched, waits until stream time > 110 + 10 + 5
  t.pipe("R", "x", "rx", 125); // 125 is not > 125: l2's window is still open
  assert.deepEqual(t.outputs, [["out", "a", "l1+r1"]]);
  t.pipe("R", "x", "ry", 126); // now it is closed
  t.pipe("R", "z", "rz", 400); // unmatched right records of a left join are never emitted
  assert.deepEqual(t.outputs, [
    ["out", "a", "l1+r1"],
    ["out", "b", "l2+null"],
  ]);
  assert.deepEqual(t.timestamps, [108, 110]);
});

test("a left record joined within its window after waiting gets no null result", () => {
  const t = streamStream("left");
  t.pipe("L", "a", "l1", 100);
  t.pipe("R", "x", "rx", 112); // time passes, l1's window is still open
  t.pipe("R", "a", "r1", 110); // out of order, within 10 of l1
  t.pipe("R", "x", "ry", 500);
  assert.deepEqual(t.outputs, [["out", "a", "l1+r1"]]);
});

test("an outer stream–stream join emits unmatched records of both sides with null once their windows close, in time order", () => {
  const t = streamStream("outer");
  t.pipe("L", "a", "l1", 100);
  t.pipe("R", "b", "r1", 103);
  t.pipe("R", "z", "rz", 200); // closes both windows: l1 then r1 are emitted before rz is handled
  t.pipe("L", "z", "lz", 205); // joins rz, which then is never emitted with null
  t.pipe("R", "q", "rq", 300);
  assert.deepEqual(t.outputs, [
    ["out", "a", "l1+null"],
    ["out", "b", "null+r1"],
    ["out", "z", "lz+rz"],
  ]);
  assert.deepEqual(t.timestamps, [100, 103, 205]);
});

test("several records of one key and timestamp are each joined", () => {
  const t = streamStream("inner");
  t.pipe("L", "a", "l1", 100);
  t.pipe("L", "a", "l2", 100);
  t.pipe("R", "a", "r1", 100);
  assert.deepEqual(t.outputs, [
    ["out", "a", "l1+r1"],
    ["out", "a", "l2+r1"],
  ]);
});

test("a stream–stream join puts both streams in one sub-topology with a window store per side", () => {
  const b = new StreamsBuilder();
  b.stream("L", strings).leftJoin(b.stream("R", strings), (l, r) => `${l}${r}`, JoinWindows.ofTimeDifferenceWithNoGrace(10), { store: "pairs" }).to("out", strings);
  const topology = b.build();
  assert.equal(topology.subTopologies.length, 1);
  assert.deepEqual(topology.subTopologies[0]!.stores.map((s) => [s.name, s.kind]), [
    ["pairs-this-join-store", "window"],
    ["pairs-other-join-store", "window"],
    ["pairs-outer-shared-join-store", "keyValue"],
  ]);
});

test("a stream–stream join after a key change repartitions that side first, with the serdes given to the join", () => {
  const b = new StreamsBuilder();
  const mapped = b.stream("L", strings).map((k, v): [string, string] => [v, k]);
  assert.throws(() => mapped.join(b.stream("R", strings), (l, r) => `${l}${r}`, JoinWindows.ofTimeDifferenceWithNoGrace(10)), /a join on a new key .* needs \{ key and value: serde \}/);
  const b2 = new StreamsBuilder();
  b2.stream("L", strings)
    .map((k, v): [string, string] => [v, k])
    .join(b2.stream("R", strings), (l, r) => `${l}${r}`, JoinWindows.ofTimeDifferenceWithNoGrace(10), strings)
    .to("out", strings);
  const topology = b2.build();
  assert.equal(topology.subTopologies.length, 2);
  assert.equal(topology.repartitionTopics.length, 1);
});
