import { test } from "node:test";
import assert from "node:assert/strict";
import { openStore } from "../runtime/open-store.ts";
import { ProcessorGraph } from "../runtime/processor-graph.ts";
import { serdes } from "../serdes/serde.ts";
import { RecordCacheBudget } from "../state/record-cache.ts";
import { StateFile } from "../state/state-file.ts";
import { StreamsBuilder } from "../topology/streams-builder.ts";
import { Topology } from "../topology/topology.ts";
import { changeSerde } from "./change.ts";
import { priorValueOf } from "./table-update.ts";

const strings = { key: serdes.string(), value: serdes.string() };

/** Partition 0 of one of the topology's sub-topologies, its stores on an in-memory file, behind a record cache of `cacheBytes`. */
function cachedTask(build: (b: StreamsBuilder) => void, cacheBytes = 1 << 20, subTopology = 0) {
  const b = new StreamsBuilder();
  build(b);
  const sub = b.build().subTopologies[subTopology]!;
  const file = StateFile.inMemory({ cacheMaxBytes: 1 << 20 });
  const stores = new Map<string, unknown>(sub.stores.map((def) => [def.name, openStore(file, def, Topology.changelogTopic("app", def.name), 0)]));
  const outputs: string[] = [];
  const collect = (r: { topic: string; key: Buffer | null; value: Buffer | null }) => {
    const value = r.value === null ? null : r.topic === "counts-out" ? String(serdes.int64().deserialize(r.value, r.topic)) : r.value.toString();
    outputs.push(`${r.topic}:${r.key?.toString()}=${value}`);
  };
  const cache = new RecordCacheBudget(cacheBytes).join();
  const graph = new ProcessorGraph(sub, 0, "app", { collect }, stores, undefined, undefined, Date.now, cache);
  let offset = 0;
  const pipe = (key: string, value: string | Buffer, topic = "in") =>
    graph.process(topic, { offset: String(offset++), key: Buffer.from(key), value: Buffer.from(value), timestamp: String(1000 + offset) });
  return { graph, outputs, pipe, cache, file, sub };
}

const countToTopic = (b: StreamsBuilder, caching?: boolean) =>
  b
    .stream("in", strings)
    .groupByKey()
    .count({ store: "counts", ...(caching === undefined ? {} : { caching }) })
    .toStream()
    .to("counts-out", { key: serdes.string(), value: serdes.int64() });

test("a cached count forwards nothing until the flush, then each key's latest count once", () => {
  const { graph, outputs, pipe } = cachedTask((b) => countToTopic(b));
  for (const k of ["a", "a", "b", "a"]) pipe(k, "x");
  assert.deepEqual(outputs, []);
  graph.flushRecordCache();
  assert.deepEqual(outputs, ["counts-out:b=1", "counts-out:a=3"]);
  pipe("a", "x");
  graph.flushRecordCache();
  assert.deepEqual(outputs.slice(2), ["counts-out:a=4"]);
});

test("caching: false on the store forwards every update, as without a record cache", () => {
  const { graph, outputs, pipe } = cachedTask((b) => countToTopic(b, false));
  for (const k of ["a", "a", "b"]) pipe(k, "x");
  assert.deepEqual(outputs, ["counts-out:a=1", "counts-out:a=2", "counts-out:b=1"]);
  graph.flushRecordCache();
  assert.equal(outputs.length, 3);
});

test("a flushed update carries the value the row had before its first cached update", () => {
  const priors: unknown[] = [];
  const { graph, pipe } = cachedTask((b) =>
    b
      .stream("in", strings)
      .groupByKey()
      .count({ store: "counts" })
      .toStream()
      .process<string, number>(() => ({ process: (r) => void priors.push([r.key, r.value, priorValueOf(r)]) })),
  );
  pipe("a", "x");
  pipe("a", "x");
  graph.flushRecordCache();
  pipe("a", "x");
  pipe("a", "x");
  graph.flushRecordCache();
  assert.deepEqual(priors, [["a", 2, null], ["a", 4, 2]]);
});

test("a stream-table join on the counts reads the cached, not yet flushed, count", () => {
  const { outputs, pipe } = cachedTask((b) => {
    const counts = b.stream("in", strings).groupByKey().count({ store: "counts" });
    b.stream("probe", strings)
      .join(counts, (v, n) => `${v}:${n}`)
      .to("joined", strings);
  });
  pipe("a", "x");
  pipe("a", "x");
  pipe("a", "p", "probe");
  assert.deepEqual(outputs, ["joined:a=p:2"]);
});

test("past the task's share of the budget, least recently updated counts are forwarded before the commit", () => {
  const { outputs, pipe } = cachedTask((b) => countToTopic(b), 300);
  for (let i = 0; i < 10; i++) pipe(`k${i}`, "x");
  assert.ok(outputs.length > 0 && outputs.length < 10, `some, not all, evicted: ${outputs.join(", ")}`);
  assert.equal(outputs[0], "counts-out:k0=1");
});

test("a rollback (stateReset) forgets the cached updates: nothing is forwarded for them", () => {
  const { graph, outputs, pipe, cache } = cachedTask((b) => countToTopic(b));
  pipe("a", "x");
  graph.stateReset();
  assert.equal(cache.dirtyCount(), 0);
  graph.flushRecordCache();
  assert.deepEqual(outputs, []);
});

test("the flushed counts reach the store, and so the changelog the commit writes", () => {
  const { graph, pipe, file } = cachedTask((b) => countToTopic(b));
  pipe("a", "x");
  pipe("a", "x");
  assert.deepEqual(file.flush(), [], "nothing is in the store before the record cache's flush");
  graph.flushRecordCache();
  const changelog = file.flush();
  assert.deepEqual(changelog.map((c) => [c.topic, c.key.toString()]), [["app-counts-changelog", "a"]]);
});

test("a cached table re-grouping forwards each group's latest aggregate, and a group deleted and gone stays silent", () => {
  const { graph, outputs, pipe, sub } = cachedTask(
    (b) =>
      b
        .table("accounts", { ...strings, store: "accounts" })
        .groupBy((_k, region) => [region, "x"] as const, { name: "by-region", key: serdes.string(), value: serdes.string() })
        .reduce((a, v) => a + v, (a) => (a.length > 1 ? a.slice(1) : null), { store: "per-region" })
        .toStream()
        .to("regions", strings),
    1 << 20,
    1,
  );
  const changes = changeSerde(serdes.string());
  const repartition = sub.sourceTopics[0]!;
  const change = (newValue: string | null, oldValue: string | null) => changes.serialize({ newValue, oldValue }, repartition);
  pipe("eu", change("x", null), repartition);
  pipe("eu", change("x", null), repartition);
  pipe("us", change("x", null), repartition);
  pipe("us", change(null, "x"), repartition);
  assert.deepEqual(outputs, []);
  graph.flushRecordCache();
  assert.deepEqual(outputs, ["regions:eu=xx"], "us was created and deleted between commits: nothing to say");
  pipe("eu", change(null, "x"), repartition);
  pipe("eu", change(null, "x"), repartition);
  graph.flushRecordCache();
  assert.deepEqual(outputs.slice(1), ["regions:eu=null"], "the group deleted: one tombstone");
});
