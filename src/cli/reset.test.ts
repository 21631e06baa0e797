// Which topics `weir reset` treats as an application's internal topics.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { internalTopics, workerStateDirs } from "./reset.ts";

test("changelog and repartition topics with the application's prefix are its internal topics; others are not", () => {
  const topics = ["pay-totals-changelog", "pay-by-user-repartition", "pay-input", "payments-totals-changelog", "pay--changelog", "other-changelog", "pay-changelog"];
  assert.deepEqual(internalTopics("pay", topics, ["pay"]), { mine: ["pay-by-user-repartition", "pay-totals-changelog"], others: [] });
});

test("a topic that also fits a longer application id with an existing group is left to that application", () => {
  const topics = ["pay-totals-changelog", "pay-eu-totals-changelog", "pay-eu-x-repartition"];
  assert.deepEqual(internalTopics("pay", topics, ["pay", "pay-eu"]), {
    mine: ["pay-totals-changelog"],
    others: [
      { topic: "pay-eu-totals-changelog", owner: "pay-eu" },
      { topic: "pay-eu-x-repartition", owner: "pay-eu" },
    ],
  });
  assert.deepEqual(internalTopics("pay-eu", topics, ["pay", "pay-eu"]).mine, ["pay-eu-totals-changelog", "pay-eu-x-repartition"]);
});

test("without a group of the longer id, a look-alike topic is the application's", () => {
  assert.deepEqual(internalTopics("pay", ["pay-eu-totals-changelog"], ["pay", "payments"]).mine, ["pay-eu-totals-changelog"]);
});

test("--state-dir also finds the state of each worker of weir run --workers: <stateDir>/worker-<i>/<applicationId>", () => {
  const dir = mkdtempSync(join(tmpdir(), "weir-reset-"));
  try {
    for (const d of ["worker-0/pay", "worker-1/pay", "worker-2/other", "workers/pay", "pay"]) mkdirSync(join(dir, d), { recursive: true });
    assert.deepEqual(workerStateDirs(dir, "pay"), [join(dir, "worker-0/pay"), join(dir, "worker-1/pay")]);
    assert.deepEqual(workerStateDirs(join(dir, "missing"), "pay"), []);
  } finally {
    rmSync(dir, { recursive: true });
  }
});
