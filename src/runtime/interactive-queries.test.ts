import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Fastify from "fastify";
import { partitionForKey } from "../kafka/index.ts";
import { registerQueryRoutes, type QueryAnswer } from "../server/queries.ts";
import { serdes } from "../serdes/serde.ts";
import { timestampedSerde } from "../state/window-store.ts";
import { StateFile } from "../state/state-file.ts";
import { StreamsBuilder } from "../topology/streams-builder.ts";
import { InstanceMap } from "./instance-map.ts";
import { InteractiveQueries, type QueryHost, type RemoteQuery } from "./interactive-queries.ts";
import type { TaskStatus } from "./stream-task.ts";

interface Totals {
  count: number;
}

function topology() {
  const b = new StreamsBuilder();
  b.stream("payments", { key: serdes.string(), value: serdes.json<{ amount: number }>() })
    .groupByKey()
    .aggregate((): Totals => ({ count: 0 }), (_k, _p, t) => ({ count: t.count + 1 }), { store: "totals", value: serdes.json<Totals>() });
  return b.build();
}

const partitions = 4;
const keys = Array.from({ length: 40 }, (_, i) => `k-${i}`);
const partitionOf = (key: string) => partitionForKey(Buffer.from(key), partitions);
const owners = new Map([["0_0", "me:1"], ["0_1", "me:1"], ["0_2", "other:2"], ["0_3", "other:2"]]);

/** One instance's tasks: real state files holding the committed totals of the keys of its partitions. */
function tasksOf(t: TestContext, server: string, status: TaskStatus = "running") {
  const dir = mkdtempSync(join(tmpdir(), "weir-iq-"));
  const tasks = new Map<string, { status: TaskStatus; readCommitted: StateFile["readCommitted"] }>();
  for (const [id, owner] of owners) {
    if (owner !== server) continue;
    const file = StateFile.open(join(dir, `${id}.sqlite`), { cacheMaxBytes: 1 << 20 });
    // An aggregation's store keeps each row's timestamp; a query answers the value alone.
    const store = file.keyValueStore({ name: "totals", keySerde: serdes.string(), valueSerde: timestampedSerde(serdes.json<Totals>()), changelogTopic: "app-totals-changelog", changelogPartition: 0 });
    keys.forEach((key, i) => {
      if (`0_${partitionOf(key)}` === id) store.put(key, { value: { count: i }, timestamp: 1000 + i });
    });
    file.commit(new Map());
    store.put(keys[0]!, { value: { count: -1 }, timestamp: 0 }); // not committed: never seen by a query
    tasks.set(id, { status, readCommitted: (read) => file.readCommitted(read) });
    t.after(() => file.close());
  }
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return tasks;
}

function instance(server: string, tasks: ReturnType<typeof tasksOf>, remote: RemoteQuery, ownersKnown = true) {
  const map = ownersKnown ? new InstanceMap(new Map([[0, partitions]]), owners) : undefined;
  const host: QueryHost = { applicationServer: () => server, instanceMap: () => map, task: (id) => tasks.get(id) };
  return new InteractiveQueries({ topology: topology(), applicationId: "app", host, timeoutMs: 1000, remote });
}

/** "other:2" behind its HTTP routes, called in process: the forwarded path is parsed as a real request would be. */
async function otherInstance(t: TestContext, status: TaskStatus = "running") {
  const other = instance("other:2", tasksOf(t, "other:2", status), () => Promise.reject(new Error("a forwarded query must not be forwarded again")));
  const app = Fastify();
  registerQueryRoutes(app, (r) => other.query(r));
  t.after(() => app.close());
  const calls: string[] = [];
  const remote: RemoteQuery = async (server, path) => {
    assert.equal(server, "other:2");
    calls.push(path);
    const response = await app.inject({ method: "GET", url: path });
    return { status: response.statusCode, body: response.json() };
  };
  return { remote, calls };
}

const key = (k: string) => ({ query: { kind: "key" as const, store: "totals", key: k } });

test("every key is answered with its committed value, from this instance or from its partition's owner", async (t) => {
  const { remote, calls } = await otherInstance(t);
  const me = instance("me:1", tasksOf(t, "me:1"), remote);
  for (const [i, k] of keys.entries()) {
    const answer = await me.query(key(k));
    assert.equal(answer.status, 200, `${k}: ${JSON.stringify(answer.body)}`);
    assert.deepEqual(answer.body, { store: "totals", key: k, value: { count: i } });
  }
  const remoteKeys = keys.filter((k) => owners.get(`0_${partitionOf(k)}`) === "other:2");
  assert.equal(calls.length, remoteKeys.length);
  assert.ok(calls.every((c) => /^\/stores\/totals\/keys\/k-\d+\?tasks=0_[23]$/.test(c)), calls.join(" "));
});

test("a range merges the rows of every task in key order, up to the limit", async (t) => {
  const { remote } = await otherInstance(t);
  const me = instance("me:1", tasksOf(t, "me:1"), remote);
  const sorted = [...keys].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  const all = (await me.query({ query: { kind: "all", store: "totals", limit: 1000 } })) as QueryAnswer & { body: { entries: { key: string }[]; truncated: boolean } };
  assert.deepEqual(all.body.entries.map((e) => e.key), sorted);
  assert.equal(all.body.truncated, false);
  const range = (await me.query({ query: { kind: "range", store: "totals", from: "k-1", to: "k-2", limit: 5 } })) as typeof all;
  assert.deepEqual(range.body.entries.map((e) => e.key), sorted.filter((k) => k >= "k-1" && k <= "k-2").slice(0, 5));
  assert.equal(range.body.truncated, true);
  const prefix = (await me.query({ query: { kind: "prefix", store: "totals", prefix: "k-3", limit: 100 } })) as typeof all;
  assert.deepEqual(prefix.body.entries.map((e) => e.key), sorted.filter((k) => k.startsWith("k-3")));
});

test("an unknown store is 404 naming the stores there are; a missing key is 404 too", async (t) => {
  const me = instance("me:1", tasksOf(t, "me:1"), (await otherInstance(t)).remote);
  const unknown = await me.query({ query: { kind: "key", store: "nope", key: "a" } });
  assert.equal(unknown.status, 404);
  assert.match(JSON.stringify(unknown.body), /WEIR_STORE_UNKNOWN.*stores: totals/);
  const local = keys.find((k) => owners.get(`0_${partitionOf(k)}`) === "me:1")!;
  const missing = await me.query(key(`${local}-absent`));
  assert.equal(missing.status, 404);
  assert.match(JSON.stringify(missing.body), /WEIR_KEY_NOT_FOUND/);
});

test("a restoring owner answers 503 with the reason, relayed by the instance that forwarded", async (t) => {
  const me = instance("me:1", tasksOf(t, "me:1"), (await otherInstance(t, "restoring")).remote);
  const remoteKey = keys.find((k) => owners.get(`0_${partitionOf(k)}`) === "other:2")!;
  const answer = await me.query(key(remoteKey));
  assert.equal(answer.status, 503);
  assert.match(JSON.stringify(answer.body), /WEIR_QUERY_RESTORING.*is restoring/);
});

test("while the owners are unknown (rebalancing) a query answers 503", async (t) => {
  const me = instance("me:1", tasksOf(t, "me:1"), (await otherInstance(t)).remote, false);
  const answer = await me.query(key("k-1"));
  assert.equal(answer.status, 503);
  assert.match(JSON.stringify(answer.body), /WEIR_QUERY_REBALANCING/);
});

test("a query the store's kind does not answer is 400", async (t) => {
  const me = instance("me:1", tasksOf(t, "me:1"), (await otherInstance(t)).remote);
  const answer = await me.query({ query: { kind: "windows", store: "totals", key: "k-1", limit: 10 } });
  assert.equal(answer.status, 400);
  assert.match(JSON.stringify(answer.body), /key-value store: it answers key, range, prefix, all queries, not windows/);
});

test("an instance that cannot be reached makes the query fail with 502, naming it", async (t) => {
  const unreachable: RemoteQuery = async (server) => ({ status: 502, body: { code: "WEIR_QUERY_FORWARD_FAILED", reason: `instance ${server} could not be reached` } });
  const me = instance("me:1", tasksOf(t, "me:1"), unreachable);
  const answer = await me.query({ query: { kind: "all", store: "totals", limit: 10 } });
  assert.equal(answer.status, 502);
  assert.match(JSON.stringify(answer.body), /other:2/);
});
