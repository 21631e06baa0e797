import assert from "node:assert/strict";
import { test } from "node:test";
import { RestartPolicy } from "./restart-policy.ts";

const limits = { maxRestarts: 3, windowMs: 60_000, baseDelayMs: 1000, maxDelayMs: 3000 };

test("a worker that crashes or is killed is restarted, each time within the window after twice the delay, capped", () => {
  const policy = new RestartPolicy(limits);
  assert.deepEqual(policy.onExit(0, 1, 0), { action: "restart", delayMs: 1000 });
  assert.deepEqual(policy.onExit(0, null, 10), { action: "restart", delayMs: 2000 });
  // Another worker's first restart waits the base delay.
  assert.deepEqual(policy.onExit(1, 137, 20), { action: "restart", delayMs: 1000 });
});

test("exit 2 (configuration, module) and 3 (a topic is missing) stop the service with that code", () => {
  const policy = new RestartPolicy(limits);
  for (const code of [2, 3]) {
    const decision = policy.onExit(1, code, 0);
    assert.equal(decision.action, "stop");
    assert.equal(decision.action === "stop" && decision.exitCode, code);
    assert.match(decision.action === "stop" ? decision.reason : "", /worker 1 exited with/);
  }
});

test("more restarts than the limit within the window stop the service with exit 1; older ones are forgotten", () => {
  const policy = new RestartPolicy(limits);
  for (let i = 0; i < 3; i++) assert.equal(policy.onExit(0, 1, i * 1000).action, "restart");
  const stop = policy.onExit(0, 1, 5000);
  assert.equal(stop.action === "stop" && stop.exitCode, 1);
  // A minute after the first three, the window holds none of them: restarted again, after the base delay.
  assert.deepEqual(policy.onExit(0, 1, 62_001), { action: "restart", delayMs: 1000 });
});
