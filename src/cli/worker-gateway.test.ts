import assert from "node:assert/strict";
import { test } from "node:test";
import { createServer } from "node:http";
import { Counter, Gauge, Registry } from "prom-client";
import { createLogger } from "../runtime/logger.ts";
import { aggregateMetrics, serviceHealth, serviceReadiness, startGateway, type WorkerReport } from "./worker-gateway.ts";

async function workerMetrics(consumed: Record<string, number>, tasks: number) {
  const registry = new Registry();
  const counter = new Counter({ name: "weir_records_consumed_total", help: "h", labelNames: ["application", "topic"], registers: [registry] });
  for (const [topic, n] of Object.entries(consumed)) counter.inc({ application: "pay", topic }, n);
  new Gauge({ name: "weir_tasks_owned", help: "h", labelNames: ["application"], registers: [registry] }).set({ application: "pay" }, tasks);
  return registry.getMetricsAsJSON();
}

test("/metrics of the service: each label set's counters and gauges summed over the workers", async () => {
  const { text } = await aggregateMetrics([await workerMetrics({ a: 10, b: 5 }, 3), await workerMetrics({ a: 7 }, 2)]);
  assert.match(text, /weir_records_consumed_total\{application="pay",topic="a"\} 17/);
  assert.match(text, /weir_records_consumed_total\{application="pay",topic="b"\} 5/);
  assert.match(text, /weir_tasks_owned\{application="pay"\} 5/);
});

const up = (index: number): WorkerReport => ({ index, health: { healthy: true }, readiness: { ready: true }, metrics: [] });

test("healthy and ready only if every worker is; the reason names the worker", () => {
  assert.deepEqual(serviceHealth([up(0), up(1)]), { healthy: true });
  assert.deepEqual(serviceReadiness([up(0), up(1)]), { ready: true });
  const restarting: WorkerReport = { index: 1, down: "killed by SIGKILL; restarting" };
  assert.deepEqual(serviceHealth([up(0), restarting]), { healthy: false, reason: "worker 1: killed by SIGKILL; restarting" });
  const restoring: WorkerReport = { index: 0, health: { healthy: true }, readiness: { ready: false, reason: "task 0_1 is restoring" }, metrics: [] };
  assert.deepEqual(serviceHealth([restoring, up(1)]), { healthy: true });
  assert.deepEqual(serviceReadiness([restoring, up(1)]), { ready: false, reason: "worker 0: task 0_1 is restoring" });
});

test("every other path is a worker's answer: status, body, query string and headers such as Retry-After pass through", async () => {
  const worker = createServer((req, res) => {
    res.writeHead(req.url === "/stores/totals/keys/a%2Fb?stale=true" ? 503 : 404, { "content-type": "application/json", "retry-after": "2", "x-weir-stale": "true" });
    res.end(JSON.stringify({ url: req.url }));
  });
  await new Promise<void>((resolve) => worker.listen(0, "127.0.0.1", resolve));
  const port = (worker.address() as { port: number }).port;
  let live = true;
  const gateway = await startGateway({ reports: () => Promise.resolve([]), liveWorker: () => (live ? { host: "127.0.0.1", port } : undefined) }, { host: "127.0.0.1", port: 0 }, createLogger("silent"));
  try {
    const answer = await fetch(`http://127.0.0.1:${gateway.port}/stores/totals/keys/a%2Fb?stale=true`);
    assert.equal(answer.status, 503);
    assert.deepEqual(await answer.json(), { url: "/stores/totals/keys/a%2Fb?stale=true" });
    assert.equal(answer.headers.get("retry-after"), "2");
    assert.equal(answer.headers.get("x-weir-stale"), "true");
    assert.equal((await fetch(`http://127.0.0.1:${gateway.port}/`)).status, 404, "the dashboard's / is the worker's too");
    live = false;
    const none = await fetch(`http://127.0.0.1:${gateway.port}/tasks`);
    assert.equal(none.status, 503);
    assert.match(((await none.json()) as { error: string }).error, /no worker is running/);
  } finally {
    await gateway.close();
    worker.close();
  }
});
