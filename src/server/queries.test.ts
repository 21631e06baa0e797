import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import Fastify from "fastify";
import { queryPath, registerQueryRoutes, type QueryRequest, type StoreQuery } from "./queries.ts";

async function routes(t: TestContext) {
  const seen: QueryRequest[] = [];
  const app = Fastify();
  registerQueryRoutes(app, async (request) => {
    seen.push(request);
    return { status: 200, body: { ok: true } };
  });
  t.after(() => app.close());
  const get = async (url: string) => {
    const response = await app.inject({ method: "GET", url });
    return { status: response.statusCode, body: response.json<Record<string, unknown>>() };
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
  for (const url of ["/stores/s/all?limit=0", "/stores/s/all?limit=10001", "/stores/s/range?limit=x", "/stores/s/keys/a?tasks=0_1,zz"]) {
    const answer = await get(url);
    assert.equal(answer.status, 400, url);
    assert.match(String(answer.body.reason), /limit|tasks/);
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
  assert.deepEqual(seen, queries.map((query) => ({ query, tasks: ["0_1", "0_3"] })));
});
