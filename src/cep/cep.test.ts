import assert from "node:assert/strict";
import { test } from "node:test";
import { serdes } from "../serdes/serde.ts";
import { tempDir } from "../state/test-fixtures.ts";
import { StreamsBuilder } from "../topology/streams-builder.ts";
import { cep } from "./cep.ts";
import type { Match, TimedOutMatch } from "./nfa.ts";
import { pattern } from "./pattern.ts";
import { TaskRun, type Output } from "./test-fixtures.ts";

type E = { readonly id: string };
const is = (kind: string) => (e: E) => e.id.startsWith(kind);

/** a followedBy b within 10 s; matches to "matches", timeouts to "timeouts". */
function topology(b: StreamsBuilder): void {
  const p = pattern<E>().begin("a").where(is("a")).followedBy("b").where(is("b")).within(10_000);
  const { matches, timeouts } = cep(b.stream("events", { key: serdes.string(), value: serdes.json<E>() }), p, { store: "ab" });
  matches.to("matches", { key: serdes.string(), value: serdes.json<Match<E>>() });
  timeouts.to("timeouts", { key: serdes.string(), value: serdes.json<TimedOutMatch<E>>() });
}

const brief = (o: Output) => {
  const v = o.value as { events: Record<string, E[]> };
  return [o.topic, o.key, Object.values(v.events).flat().map((e) => e.id).join(" "), o.timestamp];
};

test("matches go to the matches stream keyed as the input, stamped with their last event", () => {
  const run = TaskRun.of(topology, new StreamsBuilder());
  run.pipe("events", "k1", { id: "a1" }, 0).pipe("events", "k2", { id: "b9" }, 1000).pipe("events", "k1", { id: "b1" }, 5000);
  assert.deepEqual(run.take().map(brief), [["matches", "k1", "a1 b1", 5000]]);
  assert.deepEqual(run.take(), []);
  run.close();
});

test("a key that sees no further event times out when stream time passes its window", () => {
  const run = TaskRun.of(topology, new StreamsBuilder());
  run.pipe("events", "k1", { id: "a1" }, 0).pipe("events", "k2", { id: "a2" }, 4000).pipe("events", "k3", { id: "x" }, 9999);
  assert.deepEqual(run.take(), []);
  run.pipe("events", "k3", { id: "x" }, 14_000);
  assert.deepEqual(run.take().map(brief), [
    ["timeouts", "k1", "a1", 10_000],
    ["timeouts", "k2", "a2", 14_000],
  ]);
  run.close();
});

test("a key's own late event times it out before it is matched", () => {
  const run = TaskRun.of(topology, new StreamsBuilder());
  run.pipe("events", "k1", { id: "a1" }, 0).pipe("events", "k1", { id: "b1" }, 10_000);
  assert.deepEqual(run.take().map(brief), [["timeouts", "k1", "a1", 10_000]]);
  run.close();
});

test("a key without partial matches keeps nothing in the stores", () => {
  const run = TaskRun.of(topology, new StreamsBuilder());
  run.pipe("events", "k1", { id: "a1" }, 0).pipe("events", "k1", { id: "b1" }, 1000).pipe("events", "k2", { id: "x" }, 2000);
  run.commit();
  assert.equal(run.stores.get("ab")!.approximateNumEntries(), 0);
  assert.equal(run.stores.get("ab-timeouts")!.approximateNumEntries(), 1, "only the clock: stream time and the next due timeout");
  run.close();
});

test("describe() shows the CEP processor with its two stores and the two output branches", () => {
  const b = new StreamsBuilder();
  topology(b);
  const text = b.build().describe();
  assert.match(text, /Processor: CEP-0000000001 \(stores: \[ab, ab-timeouts\]\)/);
  assert.match(text, /Processor: ab-matches/);
  assert.match(text, /Processor: ab-timeouts/);
});

test("a pattern without within needs no time index store", () => {
  const b = new StreamsBuilder();
  const p = pattern<E>().begin("a").where(is("a")).next("b").where(is("b"));
  cep(b.stream("events", { key: serdes.string(), value: serdes.json<E>() }), p, { store: "ab" }).matches.to("out", { key: serdes.string(), value: serdes.json<Match<E>>() });
  assert.deepEqual(b.build().subTopologies[0]!.stores.map((s) => s.name), ["ab"]);
});

test("cep() after a key-changing operator needs the serdes", () => {
  const b = new StreamsBuilder();
  const mapped = b.stream("events", { key: serdes.string(), value: serdes.json<E>() }).map((k, v): [string, E] => [k, v]);
  const p = pattern<E>().begin("a");
  assert.throws(() => cep(mapped, p, { store: "s" }), /needs \{ key, value \} serdes/);
  assert.doesNotThrow(() => cep(mapped, p, { store: "s", key: serdes.string(), value: serdes.json<E>() }));
});

test("a record without a key is dropped and counted", () => {
  const run = TaskRun.of(topology, new StreamsBuilder());
  run.pipe("events", null, { id: "a1" }, 0);
  assert.equal(run.task.dropped.get("null key or value in a CEP pattern"), 1);
  run.close();
});

test("partial matches and the time index survive a restart of the state file", (t) => {
  const dir = tempDir(t);
  const first = TaskRun.of(topology, new StreamsBuilder(), dir);
  first.pipe("events", "k1", { id: "a1" }, 0).pipe("events", "k2", { id: "a2" }, 3000);
  first.commit();
  first.close();
  const second = TaskRun.of(topology, new StreamsBuilder(), dir);
  second.pipe("events", "k2", { id: "b2" }, 4000);
  assert.deepEqual(second.take().map(brief), [["matches", "k2", "a2 b2", 4000]]);
  second.pipe("events", "k3", { id: "x" }, 10_000);
  assert.deepEqual(second.take().map(brief), [["timeouts", "k1", "a1", 10_000]]);
  second.close();
});

test("the changelog alone restores the partial matches into a new file", (t) => {
  const first = TaskRun.of(topology, new StreamsBuilder());
  first.pipe("events", "k1", { id: "a1" }, 0).pipe("events", "k2", { id: "a2" }, 3000);
  const changelog = first.commit();
  first.close();
  const second = TaskRun.of(topology, new StreamsBuilder(), tempDir(t));
  for (const store of ["ab", "ab-timeouts"]) {
    const records = changelog.filter((r) => r.topic === `app-${store}-changelog`).map((r, i) => ({ key: r.key, value: r.value, offset: String(i) }));
    second.file.restore(store, records, new Map());
  }
  second.pipe("events", "k1", { id: "b1" }, 5000).pipe("events", "k9", { id: "x" }, 13_000);
  assert.deepEqual(second.take().map(brief), [
    ["matches", "k1", "a1 b1", 5000],
    ["timeouts", "k2", "a2", 13_000],
  ]);
  second.close();
});

test("a rollback rewinds stream time with the stores, so a timeout fires again on replay", () => {
  const run = TaskRun.of(topology, new StreamsBuilder());
  run.pipe("events", "k1", { id: "a1" }, 0);
  run.commit();
  run.pipe("events", "k2", { id: "x" }, 20_000);
  assert.deepEqual(run.take().map(brief), [["timeouts", "k1", "a1", 10_000]]);
  run.file.rollback();
  run.pipe("events", "k3", { id: "y" }, 5000);
  assert.deepEqual(run.take(), [], "stream time is back at 0: nothing is due at 5000");
  run.pipe("events", "k2", { id: "x" }, 20_000);
  assert.deepEqual(run.take().map(brief), [["timeouts", "k1", "a1", 10_000]]);
  run.close();
});

test("a pattern ending in notFollowedBy emits its match when stream time passes the window", () => {
  const run = TaskRun.of((b) => {
    const unpaid = pattern<E>().begin("order").where(is("order")).notFollowedBy("paid").where(is("paid")).within(10_000);
    const { matches } = cep(b.stream("events", { key: serdes.string(), value: serdes.json<E>() }), unpaid, { store: "unpaid" });
    matches.to("matches", { key: serdes.string(), value: serdes.json<Match<E>>() });
  }, new StreamsBuilder());
  run.pipe("events", "k1", { id: "order1" }, 0).pipe("events", "k2", { id: "order2" }, 1000).pipe("events", "k2", { id: "paid2" }, 2000);
  assert.deepEqual(run.take(), []);
  run.pipe("events", "k3", { id: "x" }, 12_000);
  assert.deepEqual(run.take().map(brief), [["matches", "k1", "order1", 10_000]]);
  run.close();
});
