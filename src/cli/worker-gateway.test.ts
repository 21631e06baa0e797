import assert from "node:assert/strict";
import { test } from "node:test";
import { Counter, Gauge, Registry } from "prom-client";
import { aggregateMetrics, serviceHealth, serviceReadiness, type WorkerReport } from "./worker-gateway.ts";

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
