// The per-model minute's latency histogram: the p95 estimate and the mean, worked out by hand.
import { test } from "node:test";
import assert from "node:assert/strict";
import { addRequest, emptyModelMinute, finalStats } from "./model-minute.ts";
import { reply } from "./test-events.ts";

test("p95 is the upper bound of the bucket holding the 19th of 20 latencies, not the slowest request", () => {
  const latencies = [...new Array<number>(18).fill(100), 400, 9000];
  let agg = emptyModelMinute();
  for (const [i, latencyMs] of latencies.entries()) agg = addRequest(reply(`c${i}`, 2, "orion-mini", 1000, { tokensIn: 2, tokensOut: 2, latencyMs }), agg);
  // Buckets: 18 in (0, 250], 1 in (250, 500], 1 in (8000, 16000]; ⌈0.95 · 20⌉ = 19 falls in (250, 500].
  assert.deepEqual(agg.latencyBuckets, [18, 1, 0, 0, 0, 0, 1, 0, 0]);
  const stats = finalStats("orion-mini", { start: 0, end: 60_000 }, agg);
  assert.equal(stats.p95LatencyMs, 500);
  assert.equal(stats.meanLatencyMs, 560, "(18 · 100 + 400 + 9000) / 20");
  assert.equal(stats.costMicroUsd, 80, "20 · (2 · 0.5 + 2 · 1.5)");
});

test("latencies above the last bound land in the overflow bucket, reported as the slowest seen", () => {
  let agg = emptyModelMinute();
  agg = addRequest(reply("c", 2, "orion-mini", 1000, { tokensIn: 0, tokensOut: 0, latencyMs: 45_000, error: "timeout" }), agg);
  assert.deepEqual(agg.latencyBuckets, [0, 0, 0, 0, 0, 0, 0, 0, 1]);
  const stats = finalStats("orion-mini", { start: 0, end: 60_000 }, agg);
  assert.equal(stats.p95LatencyMs, 45_000);
  assert.equal(stats.errorRate, 1);
});
