import { test } from "node:test";
import assert from "node:assert/strict";
import type { GroupConsumer } from "../kafka/index.ts";
import { createLogger } from "./logger.ts";
import { ProbingRebalance } from "./probing-rebalance.ts";

test("a plan with warm-ups schedules one rebalance after the interval; a plan without cancels it, as does stopping", (t) => {
  t.mock.timers.enable({ apis: ["setTimeout"] });
  let requests = 0;
  const consumer = { requestRebalance: () => void (requests += 1) } as unknown as GroupConsumer;
  const probing = new ProbingRebalance(5000, () => consumer, createLogger("silent", {}));
  assert.equal(probing.available(), true);
  probing.planned(2);
  t.mock.timers.tick(4999);
  assert.equal(requests, 0);
  t.mock.timers.tick(1);
  assert.equal(requests, 1, "one probe at the interval");
  t.mock.timers.tick(20000);
  assert.equal(requests, 1, "and no more until the next plan places warm-ups");
  probing.planned(1);
  probing.planned(0);
  t.mock.timers.tick(10000);
  assert.equal(requests, 1, "a plan without warm-ups cancels the scheduled probe");
  probing.planned(1);
  probing.stop();
  t.mock.timers.tick(10000);
  assert.equal(requests, 1, "stopping cancels it");
  probing.planned(1);
  t.mock.timers.tick(10000);
  assert.equal(requests, 1, "nothing is scheduled once stopped");
});

test("without a client that can start a rebalance (kafkajs), or before the consumer exists, probing is unavailable", () => {
  const logger = createLogger("silent", {});
  assert.equal(new ProbingRebalance(1000, () => ({}) as GroupConsumer, logger).available(), false);
  assert.equal(new ProbingRebalance(1000, () => undefined, logger).available(), false);
});
