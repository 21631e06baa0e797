// Stale reads (docs/architecture.md, "Interactive queries during failover"): with ?stale=true a task whose active
// copy cannot answer is read from a caught-up standby's copy, here or on an instance the map names; without it
// the answer is 503 (and Retry-After, see src/server/queries.test.ts).
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Fastify, { type FastifyInstance } from "fastify";
import { partitionForKey } from "../kafka/index.ts";
import { registerQueryRoutes, type QueryAnswer, type QueryRequest } from "../server/queries.ts";
import { serdes } from "../serdes/serde.ts";
import { timestampedSerde } from "../state/window-store.ts";
import { StateFile } from "../state/state-file.ts";
import { StreamsBuilder } from "../topology/streams-builder.ts";
import { InstanceMap } from "./instance-map.ts";
import { InteractiveQueries, type QueryHost, type RemoteQuery } from "./interactive-queries.ts";
import type { StaleCopy } from "./standby-tasks.ts";
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

const partitions = 2;
const keys = Array.from({ length: 20 }, (_, i) => `k-${i}`);
const taskOf = (key: string) => `0_${partitionForKey(Buffer.from(key), partitions)}`;
// a:1 runs 0_0 and keeps a standby of 0_1; b:2 runs 0_1 and keeps a standby of 0_0; c:3 runs nothing.
const owners = new Map<string, string | null>([["0_0", "a:1"], ["0_1", "b:2"]]);
const map = new InstanceMap(new Map([[0, partitions]]), owners, ["c:3"], new Map([["pa", ["0_1"]], ["pb", ["0_0"]]]), new Map([["pa", "a:1"], ["pb", "b:2"]]));

type Readable = Pick<StaleCopy, "readCommitted">;

/** A task's committed state: every key of its partition, with count = the key's index + `plus`. */
function stateOf(t: TestContext, id: string, plus: number): Readable {
  const dir = mkdtempSync(join(tmpdir(), "weir-stale-"));
  const file = StateFile.open(join(dir, `${id}.sqlite`), { cacheMaxBytes: 1 << 20 });
  const store = file.keyValueStore({ name: "totals", keySerde: serdes.string(), valueSerde: timestampedSerde(serdes.json<Totals>()), changelogTopic: "app-totals-changelog", changelogPartition: 0 });
  keys.forEach((key, i) => {
    if (taskOf(key) === id) store.put(key, { value: { count: i + plus }, timestamp: 1000 });
  });
  file.commit(new Map());
  t.after(() => {
    file.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { readCommitted: (read) => file.readCommitted(read) };
}

interface Setup {
  /** Active tasks here, with their status. */
  readonly tasks?: Record<string, TaskStatus>;
  /** Stale copies here: task → lag. */
  readonly copies?: Record<string, number>;
  /** false: the group rebalances (no current map), the last one is known. */
  readonly mapKnown?: boolean;
}

/** The three instances behind their HTTP routes, called in process; `down` ones are not reachable (502). */
function cluster(t: TestContext, setups: Record<string, Setup>, down: readonly string[] = []) {
  const calls: string[] = [];
  const instances = new Map<string, InteractiveQueries>();
  const apps = new Map<string, FastifyInstance>();
  const remote: RemoteQuery = async (server, path) => {
    calls.push(`${server}${path}`);
    const app = apps.get(server);
    if (!app || down.includes(server)) return { status: 502, body: { code: "WEIR_QUERY_FORWARD_FAILED", reason: `instance ${server} could not be reached` } };
    const response = await app.inject({ method: "GET", url: path });
    return { status: response.statusCode, body: response.json() };
  };
  for (const server of ["a:1", "b:2", "c:3"]) {
    const setup = setups[server] ?? {};
    // Active tasks hold the fresh state (+0); copies hold an older one (+100), so an answer shows where it came from.
    const tasks = new Map(Object.entries(setup.tasks ?? {}).map(([id, status]) => [id, { status, ...stateOf(t, id, 0) }]));
    const copies = new Map(Object.entries(setup.copies ?? {}).map(([id, lag]) => [id, { lag, ...stateOf(t, id, 100) }]));
    const host: QueryHost = {
      applicationServer: () => server,
      instanceMap: () => (setup.mapKnown === false ? undefined : map),
      lastInstanceMap: () => map,
      task: (id) => tasks.get(id),
      staleCopy: (id) => copies.get(id),
    };
    const iq = new InteractiveQueries({ topology: topology(), applicationId: "app", host, timeoutMs: 1000, remote });
    instances.set(server, iq);
    const app = Fastify();
    registerQueryRoutes(app, (r) => iq.query(r));
    apps.set(server, app);
    t.after(() => app.close());
  }
  const ask = (server: string, request: QueryRequest): Promise<QueryAnswer> => instances.get(server)!.query(request);
  return { ask, calls };
}

const keyOf = (id: string) => keys.find((k) => taskOf(k) === id)!;
const indexOf = (key: string) => keys.indexOf(key);
const key = (k: string, stale?: boolean) => ({ query: { kind: "key" as const, store: "totals", key: k }, ...(stale ? { stale } : {}) });

test("a running active answers a stale read too, fresh, and says it is not stale", async (t) => {
  const { ask } = cluster(t, { "a:1": { tasks: { "0_0": "running" }, copies: { "0_1": 3 } }, "b:2": { tasks: { "0_1": "running" }, copies: { "0_0": 2 } } });
  const k = keyOf("0_1");
  const answer = await ask("a:1", key(k, true));
  assert.equal(answer.status, 200);
  assert.deepEqual(answer.body, { store: "totals", key: k, value: { count: indexOf(k) } });
  assert.deepEqual(answer.headers, { "X-Weir-Stale": "false" });
  assert.equal((await ask("a:1", key(k))).headers, undefined, "no stale headers on a query that did not ask for stale reads");
});

test("the owner restoring: 503 without stale; with it, this instance's caught-up standby answers with its lag", async (t) => {
  const { ask } = cluster(t, { "a:1": { tasks: { "0_0": "running" }, copies: { "0_1": 3 } }, "b:2": { tasks: { "0_1": "restoring" }, copies: { "0_0": 2 } } });
  const k = keyOf("0_1");
  const plain = await ask("a:1", key(k));
  assert.equal(plain.status, 503);
  assert.match(JSON.stringify(plain.body), /WEIR_QUERY_RESTORING.*stale=true/);
  const stale = await ask("a:1", key(k, true));
  assert.equal(stale.status, 200, JSON.stringify(stale.body));
  assert.deepEqual(stale.body, { store: "totals", key: k, value: { count: indexOf(k) + 100 } });
  assert.deepEqual(stale.headers, { "X-Weir-Stale": "true", "X-Weir-Stale-Lag": "3" });
});

test("asked through an instance without a copy, a stale read goes to the instance the map names as keeping the standby", async (t) => {
  const { ask, calls } = cluster(t, { "a:1": { tasks: { "0_0": "running" }, copies: { "0_1": 5 } }, "b:2": { tasks: { "0_1": "restoring" }, copies: { "0_0": 2 } } });
  const k = keyOf("0_1");
  const stale = await ask("c:3", key(k, true));
  assert.equal(stale.status, 200, JSON.stringify(stale.body));
  assert.deepEqual(stale.body, { store: "totals", key: k, value: { count: indexOf(k) + 100 } });
  assert.deepEqual(stale.headers, { "X-Weir-Stale": "true", "X-Weir-Stale-Lag": "5" });
  assert.deepEqual(calls, [`b:2/stores/totals/keys/${k}?tasks=0_1&stale=true`, `a:1/stores/totals/keys/${k}?tasks=0_1&stale=true`]);
});

test("the owner gone (not reachable): 502 without stale; with it, the standby's instance answers", async (t) => {
  const { ask } = cluster(t, { "a:1": { tasks: { "0_0": "running" }, copies: { "0_1": 0 } }, "b:2": { tasks: { "0_1": "running" } } }, ["b:2"]);
  const k = keyOf("0_1");
  assert.equal((await ask("c:3", key(k))).status, 502);
  const stale = await ask("c:3", key(k, true));
  assert.equal(stale.status, 200, JSON.stringify(stale.body));
  assert.deepEqual(stale.headers, { "X-Weir-Stale": "true", "X-Weir-Stale-Lag": "0" });
});

test("while the group rebalances a stale read finds the standby in the last map known", async (t) => {
  const { ask } = cluster(t, { "a:1": { copies: { "0_1": 1 }, mapKnown: false }, "b:2": { mapKnown: false }, "c:3": { mapKnown: false } });
  const k = keyOf("0_1");
  const plain = await ask("c:3", key(k));
  assert.equal(plain.status, 503);
  assert.match(JSON.stringify(plain.body), /WEIR_QUERY_REBALANCING/);
  const stale = await ask("c:3", key(k, true));
  assert.equal(stale.status, 200, JSON.stringify(stale.body));
  assert.deepEqual(stale.body, { store: "totals", key: k, value: { count: indexOf(k) + 100 } });
});

test("with no copy that can answer, a stale read answers the owner's 503", async (t) => {
  const { ask } = cluster(t, { "a:1": { tasks: { "0_0": "running" } }, "b:2": { tasks: { "0_1": "restoring" } } });
  const stale = await ask("c:3", key(keyOf("0_1"), true));
  assert.equal(stale.status, 503);
  assert.match(JSON.stringify(stale.body), /WEIR_QUERY_RESTORING.*no caught-up standby/);
});

test("a scan merges fresh rows of running tasks with a stale copy's rows of a moving one", async (t) => {
  const { ask } = cluster(t, { "a:1": { tasks: { "0_0": "running" }, copies: { "0_1": 4 } }, "b:2": { tasks: { "0_1": "restoring" } } });
  const all = (await ask("b:2", { query: { kind: "all", store: "totals", limit: 100 }, stale: true })) as QueryAnswer & { body: { entries: { key: string; value: Totals }[] } };
  assert.equal(all.status, 200, JSON.stringify(all.body));
  assert.equal(all.body.entries.length, keys.length);
  for (const e of all.body.entries) assert.equal(e.value.count, indexOf(e.key) + (taskOf(e.key) === "0_1" ? 100 : 0), e.key);
  assert.deepEqual(all.headers, { "X-Weir-Stale": "true", "X-Weir-Stale-Lag": "4" });
  assert.equal((await ask("b:2", { query: { kind: "all", store: "totals", limit: 100 } })).status, 503);
});

test("the map names each task's standby instances, and they survive the user data", () => {
  const back = InstanceMap.decode(map.encode())!;
  assert.deepEqual(back.standbyServersOf("0_0"), ["b:2"]);
  assert.deepEqual(back.standbyServersOf("0_1"), ["a:1"]);
  assert.deepEqual(back.standbyServersOf("0_2"), []);
});
