import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import Fastify from "fastify";
import { QUERY_RETRY_AFTER_SECONDS, queryPath, registerQueryRoutes, type QueryAnswer, type QueryRequest, type StoreQuery } from "./queries.ts";

async function routes(t: TestContext, answer: QueryAnswer = { status: 200, body: { ok: true } }) {
  const seen: QueryRequest[] = [];
  const app = Fastify();
  registerQueryRoutes(app, async (request) => {
    seen.push(request);
    return answer;
  });
  t.after(() => app.close());
  const get = async (url: string) => {
    const response = await app.inject({ method: "GET", url });
    return { status: response.statusCode, body: response.json<Record<string, unknown>>(), headers: response.headers };
  };
  return { get, seen };
}

test("each endpoint becomes its query; keys are URL-decoded, slashes included", async (t) => {
  const { get, seen } = await routes(t);
  await get("/stores/totals/keys/a%2Fb%20c");
  await get("/stores/totals/range?from=a&to=b&limit=5");
  await get("/stores/totals/prefix/k-1");
  await get("/stores/totals/all");
  await get("/stores/w/windows/k?from=0&to=60000");
  await get("/stores/prices/keys/pen?asOf=1250");
  assert.deepEqual(seen.map((r) => r.query), [
    { kind: "key", store: "totals", key: "a/b c" },
    { kind: "range", store: "totals", from: "a", to: "b", limit: 5 },
    { kind: "prefix", store: "totals", prefix: "k-1", limit: 100 },
    { kind: "all", store: "totals", limit: 100 },
    { kind: "windows", store: "w", key: "k", from: "0", to: "60000", limit: 100 },
    { kind: "key", store: "prices", key: "pen", asOf: "1250" },
  ]);
});

test("a bad limit or task list is 400 naming it, and reaches no store", async (t) => {
  const { get, seen } = await routes(t);
  for (const url of ["/stores/s/all?limit=0", "/stores/s/all?limit=10001", "/stores/s/range?limit=x", "/stores/s/keys/a?tasks=0_1,zz", "/stores/s/keys/a?stale=yes"]) {
    const answer = await get(url);
    assert.equal(answer.status, 400, url);
    assert.match(String(answer.body.reason), /limit|tasks|stale/);
  }
  assert.equal(seen.length, 0);
});

test("a forwarded query's path parses back to the same query, for the tasks named", async (t) => {
  const { get, seen } = await routes(t);
  const queries: StoreQuery[] = [
    { kind: "key", store: "totals", key: 'a/b?c&d="e"' },
    { kind: "range", store: "totals", from: "é", limit: 7 },
    { kind: "range", store: "totals", to: "z", limit: 7 },
    { kind: "prefix", store: "totals", prefix: "%/", limit: 3 },
    { kind: "all", store: "totals", limit: 10000 },
    { kind: "windows", store: "w", key: "k", from: "1", to: "2", limit: 9 },
    { kind: "key", store: "prices", key: "pen", asOf: "1250" },
  ];
  for (const q of queries) await get(queryPath(q, ["0_1", "0_3"]));
  for (const q of queries) await get(queryPath(q, ["0_2"], true));
  assert.deepEqual(seen, [...queries.map((query) => ({ query, tasks: ["0_1", "0_3"] })), ...queries.map((query) => ({ query, tasks: ["0_2"], stale: true }))]);
});

test("?stale=true reaches the handler on every kind of query; stale=false is the default", async (t) => {
  const { get, seen } = await routes(t);
  for (const url of ["/stores/t/keys/a?stale=true", "/stores/t/range?stale=true", "/stores/t/prefix/a?stale=true", "/stores/t/all?stale=true", "/stores/w/windows/k?stale=true", "/stores/t/keys/a?stale=false"]) {
    assert.equal((await get(url)).status, 200, url);
  }
  assert.deepEqual(seen.map((r) => r.stale), [true, true, true, true, true, undefined]);
});

test("a 503 carries Retry-After, and the handler's headers go out with its answer", async (t) => {
  const unavailable = await routes(t, { status: 503, body: { code: "WEIR_QUERY_RESTORING" } });
  const answer = await unavailable.get("/stores/t/keys/a");
  assert.equal(answer.status, 503);
  assert.equal(answer.headers["retry-after"], String(QUERY_RETRY_AFTER_SECONDS));
  const stale = await routes(t, { status: 200, body: { key: "a" }, headers: { "X-Weir-Stale": "true", "X-Weir-Stale-Lag": "7" } });
  const read = await stale.get("/stores/t/keys/a?stale=true");
  assert.equal(read.headers["x-weir-stale"], "true");
  assert.equal(read.headers["x-weir-stale-lag"], "7");
  assert.equal(read.headers["retry-after"], undefined);
});
