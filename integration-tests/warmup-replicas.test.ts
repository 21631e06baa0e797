// Warm-up replicas and probing rebalances (docs/architecture.md, "Warm-up replicas and probing rebalances"): one
// instance runs both tasks of a stateful app whose stores hold ~20,000 keys each; a second joins. Its copies lag by
// far more than acceptableRecoveryLag, so its first assignment gives it a warm-up of the task it is to take, not the
// task; after a probing rebalance, with the warm-up caught up, it gets the task as active and restores at most
// acceptableRecoveryLag records (here: nothing, the input has stopped). Everything is read from the instances' logs.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { eventually, killAll, readSettled, restoresLogged, startWeir, StateDirs, TestTopics, uniqueName, type WeirLogLine, type WeirProcess } from "./helpers/cluster.ts";
import { amountsByKey, payments, writePayments, type Payment } from "./helpers/payments.ts";
import { describeReport, verifyCounts } from "./helpers/verify-counts.ts";

const topics = new TestTopics();
const stateDirs = new StateDirs();
after(async () => {
  await killAll();
  await topics.drop();
  stateDirs.removeAll();
});

const acceptableRecoveryLag = 1000;
const keys = 40_000;

const tasksOf = (line: WeirLogLine): string[] => (Array.isArray(line.tasks) ? (line.tasks as string[]) : []);
const warmupsOf = (line: WeirLogLine): string[] => (Array.isArray(line.warmups) ? (line.warmups as string[]) : []);

test("[platformatic] a new instance gets a task as active only once its warm-up has caught up, after a probing rebalance", { timeout: 300_000 }, async () => {
  const input = await topics.create("warmup-payments", 2);
  const output = await topics.create("warmup-totals", 2);
  const applicationId = uniqueName("warmup");
  topics.adopt(`${applicationId}-totals-changelog`);
  const env = {
    COUNT_INPUT_TOPIC: input,
    COUNT_OUTPUT_TOPIC: output,
    WEIR_APPLICATION_ID: applicationId,
    WEIR_KAFKA_CLIENT: "platformatic",
    WEIR_SESSION_TIMEOUT_MS: "6000",
    WEIR_HEARTBEAT_INTERVAL_MS: "1000",
    WEIR_HTTP_ENABLED: "false",
    WEIR_ACCEPTABLE_RECOVERY_LAG: String(acceptableRecoveryLag),
    WEIR_MAX_WARMUP_REPLICAS: "2",
    WEIR_PROBING_REBALANCE_INTERVAL_MS: "5000",
  };
  const start = (): WeirProcess => startWeir(["run", "integration-tests/apps/count-and-sum.ts"], env, { stateDir: stateDirs.create() });
  const a = start();
  const tails = (ps: readonly WeirProcess[]) => ps.map((p) => `--- pid ${p.child.pid} stderr ends:\n${p.stderr().slice(-4000)}`).join("\n");

  // ~20,000 keys per task's store: a changelog of at least as many records, far beyond acceptableRecoveryLag.
  const written: Payment[] = payments({ count: keys, keys, seed: 41 });
  await writePayments(input, written);
  await readSettled(output, written.length, 180_000, 1000);
  await eventually("a running both tasks", 60_000, () => {
    assert.ok(a.running(), `a exited:\n${tails([a])}`);
    return a.logs("task running").length >= 2;
  });

  const b = start();
  // b gets a task as active at last (after one or more probing rebalances).
  let firstActive = -1;
  await eventually("b running a task", 180_000, () => {
    assert.ok(a.running() && b.running(), `an instance exited:\n${tails([a, b])}`);
    const lines = b.logs();
    firstActive = lines.findIndex((l) => l.msg === "tasks assigned" && tasksOf(l).length > 0);
    return firstActive >= 0 && b.logs("task running").length > 0;
  });
  const lines = b.logs();
  const assignments = lines.filter((l) => l.msg === "tasks assigned");
  assert.deepEqual(tasksOf(assignments[0]!), [], `b's first assignment gives it no active task:\n${JSON.stringify(assignments)}`);
  const taken = tasksOf(lines[firstActive]!);
  assert.equal(taken.length, 1, `b takes one of the two tasks: ${JSON.stringify(lines[firstActive])}`);
  const warmedBefore = lines.slice(0, firstActive).filter((l) => l.msg === "standby tasks assigned" && warmupsOf(l).length > 0);
  assert.ok(warmedBefore.length > 0, `b had warm-ups before its first active task:\n${tails([b])}`);
  for (const task of taken) assert.ok(warmupsOf(warmedBefore[0]!).includes(task), `b warmed up ${task} before getting it: ${JSON.stringify(warmedBefore[0])}`);
  assert.ok(a.logs("probing rebalance: rejoining the group so that caught-up warm-ups take their tasks over").length > 0, `the leader (a) probed:\n${tails([a])}`);
  const planned = a.logs("assigned tasks as group leader");
  assert.ok(planned.some((l) => typeof l.warmups === "object" && l.warmups !== null), `a's plans placed warm-ups: ${JSON.stringify(planned)}`);

  // The hand-over restored at most acceptableRecoveryLag records, from the warm-up's checkpoint: never the store.
  // (A warm-up at the changelog's end leaves nothing to replay: no "restore done" line at all.)
  const restores = restoresLogged(b).filter((r) => taken.includes(r.task));
  const promoted = b.logs("standby closed: the task is active here now").map((l) => l.task);
  for (const task of taken) assert.ok(promoted.includes(task), `b's active ${task} opened on its warm-up's file: ${JSON.stringify(promoted)}\n${tails([b])}`);
  const restored = restores.reduce((n, r) => n + r.restored, 0);
  assert.ok(restored <= acceptableRecoveryLag, `b restored ${restored} records, at most acceptableRecoveryLag (${acceptableRecoveryLag}): ${JSON.stringify(restores)}`);
  for (const r of restores) {
    assert.equal(r.rebuilt, false, `restored from the warm-up's file: ${JSON.stringify(r)}`);
    assert.ok(Number(r.fromOffset) >= keys / 2 - acceptableRecoveryLag, `the restore starts at the warm-up's checkpoint, not near 0: ${JSON.stringify(r)}`);
  }
  // a gave the task up and kept the other.
  await eventually("a closed the task b took", 60_000, () => a.logs("task closed: revoked").some((l) => taken.includes(l.task as string)));

  // Still exactly once across the hand-over.
  const more = payments({ count: 4_000, keys, everyKey: false, seed: 42 });
  await writePayments(input, more);
  written.push(...more);
  const settled = await readSettled(output, written.length, 180_000);
  const report = verifyCounts(amountsByKey(written), settled);
  assert.ok(report.ok, `after ${written.length} input records:\n${describeReport(report)}\n${tails([a, b])}`);
  console.log(`warm-up hand-over: b took ${taken.join(", ")} after ${warmedBefore.length} warm-up assignment(s); restores ${JSON.stringify(restores)}`);
});
