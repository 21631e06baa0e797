// Standby replicas (docs/architecture.md, "Standby replicas"): with numStandbyReplicas 1, each of two instances
// runs one task and keeps a standby of the other's. SIGKILL the active of a task whose standby has caught up:
// the survivor restores only what its standby had not applied (the lag), not the store, and the output stays
// exactly-once correct.
import { after, test } from "node:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import assert from "node:assert/strict";
import {
  eventually,
  freePort,
  killAll,
  readSettled,
  restoresLogged,
  startWeir,
  StateDirs,
  TestTopics,
  uniqueName,
  type WeirProcess,
} from "./helpers/cluster.ts";
import { kafkaClientNames, type KafkaClientName } from "../src/kafka/index.ts";
import { amountsByKey, payments, writePayments, type Payment } from "./helpers/payments.ts";
import { describeReport, verifyCounts } from "./helpers/verify-counts.ts";

const topics = new TestTopics();
const stateDirs = new StateDirs();
after(async () => {
  await killAll();
  await topics.drop();
  stateDirs.removeAll();
});

interface LocalTasks {
  readonly tasks: { readonly id: string; readonly status: string }[];
  readonly standbys?: { readonly id: string; readonly lag: number | null; readonly checkpoint: Record<string, string> }[];
}

interface Instance {
  readonly name: string;
  readonly process: WeirProcess;
  readonly base: string;
}

/** weir_restore_records_total of the instance, over its stores. */
async function restoredRecordsCounted(i: Instance): Promise<number> {
  const text = await (await fetch(`${i.base}/metrics`, { signal: AbortSignal.timeout(2000) })).text();
  let total = 0;
  for (const m of text.matchAll(/^weir_restore_records_total\{[^}]*\} (\d+)$/gm)) total += Number(m[1]);
  return total;
}

async function localTasks(i: Instance): Promise<LocalTasks> {
  const response = await fetch(`${i.base}/tasks?scope=local`, { signal: AbortSignal.timeout(2000) });
  if (!response.ok) throw new Error(`${i.name} /tasks answered ${response.status}`);
  return (await response.json()) as LocalTasks;
}

/** Each instance runs one task and a caught-up standby of the other's. */
async function settledWithStandbys(instances: readonly Instance[], timeoutMs: number, what: string): Promise<Map<string, LocalTasks>> {
  const views = new Map<string, LocalTasks>();
  await eventually(what, timeoutMs, async () => {
    for (const i of instances) {
      assert.ok(i.process.running(), `${i.name} exited:\n${i.process.stderr().slice(-3000)}`);
      const view = await localTasks(i).catch(() => undefined);
      if (!view || view.tasks.length !== 1 || view.tasks[0]!.status !== "running") return false;
      if (view.standbys?.length !== 1 || view.standbys[0]!.lag !== 0 || view.standbys[0]!.id === view.tasks[0]!.id) return false;
      views.set(i.name, view);
    }
    return true;
  });
  return views;
}

/** Both clients by default; WEIR_TEST_KAFKA_CLIENTS=platformatic (comma-separated) runs fewer. */
const clients = (process.env.WEIR_TEST_KAFKA_CLIENTS ?? kafkaClientNames.join(",")).split(",").filter((c): c is KafkaClientName => (kafkaClientNames as readonly string[]).includes(c));

for (const client of clients) {
  test(`[${client}] a SIGKILLed active's task is taken over by its caught-up standby's instance, restoring only the standby's lag`, () => takeOver(client, false));
}

// The standby is caught up, then held (restore-hold.ts) while 4,000 more records are processed: at the kill it lags
// by their changelog records, and the take-over replays exactly those, from the standby's checkpoint.
if (clients.includes("platformatic")) {
  test("[platformatic] a standby held behind by a known lag: the take-over replays from its checkpoint only that lag", () => takeOver("platformatic", true));
}

async function takeOver(client: KafkaClientName, holdStandby: boolean): Promise<void> {
  const holdFile = join(stateDirs.create(), "hold-standby");
  const input = await topics.create("standby-payments", 2);
  const output = await topics.create("standby-totals", 2);
  const applicationId = uniqueName("standby");
  topics.adopt(`${applicationId}-totals-changelog`);
  const env = {
    COUNT_INPUT_TOPIC: input,
    COUNT_OUTPUT_TOPIC: output,
    WEIR_APPLICATION_ID: applicationId,
    WEIR_KAFKA_CLIENT: client,
    WEIR_NUM_STANDBY_REPLICAS: "1",
    WEIR_SESSION_TIMEOUT_MS: "6000",
    WEIR_HEARTBEAT_INTERVAL_MS: "1000",
    WEIR_TEST_HOLD_STANDBY_FILE: holdFile,
    // b may join once a's stores are past acceptableRecoveryLag: its task then waits for a warm-up and a probing
    // rebalance ("Warm-up replicas and probing rebalances"), which must come well within the test's wait, not at
    // the default 10 minutes.
    WEIR_PROBING_REBALANCE_INTERVAL_MS: "5000",
  };
  const start = async (name: string): Promise<Instance> => {
    const port = await freePort();
    const process = startWeir(["run", "integration-tests/apps/count-and-sum.ts"], { ...env, WEIR_HTTP_PORT: String(port) }, { stateDir: stateDirs.create() });
    return { name, process, base: `http://127.0.0.1:${port}` };
  };
  const a = await start("a");
  const b = await start("b");
  const tails = () => [a, b].map((i) => `--- ${i.name} stderr ends:\n${i.process.stderr().slice(-3000)}`).join("\n");

  // 60,000 keys: each task's store holds ~30,000 entries, its changelog at least as many records.
  const keys = 60_000;
  const written: Payment[] = payments({ count: keys + 20_000, keys, seed: 17 });
  await writePayments(input, written);
  const before = await settledWithStandbys([a, b], 240_000, "both instances running one task each, with a caught-up standby of the other").catch((err: unknown) => assert.fail(`${String(err)}\n${tails()}`));
  await readSettled(output, written.length, 120_000, 1000);
  await settledWithStandbys([a, b], 60_000, "the standbys caught up after the input was processed");

  // More input, then SIGKILL a's process while it processes it: b's standby lags by what a commits meanwhile.
  const victimTask = before.get("a")!.tasks[0]!.id;
  const caughtUp = (await settledWithStandbys([a, b], 60_000, "the standbys still caught up")).get("b")!.standbys![0]!;
  assert.equal(caughtUp.id, victimTask, "b keeps the standby of a's task");
  let standbyCheckpoint = Object.values(caughtUp.checkpoint).map(Number)[0] ?? 0;
  if (holdStandby) {
    const heldBefore = b.process.logs("standby held (test hook): reading nothing while the file exists").length;
    writeFileSync(holdFile, "");
    await eventually("b's standby held", 30_000, () => b.process.logs("standby held (test hook): reading nothing while the file exists").length > heldBefore);
    const held = (await localTasks(b)).standbys![0]!;
    standbyCheckpoint = Object.values(held.checkpoint).map(Number)[0] ?? 0;
  }
  const more = payments({ count: 4_000, keys, everyKey: false, seed: 18 });
  await writePayments(input, more);
  written.push(...more);
  // Held: a commits all of it first, so the standby's lag at the kill is known (the changelog's end − its checkpoint).
  if (holdStandby) await readSettled(output, written.length, 120_000, 1000);
  const restoresBefore = restoresLogged(b.process).length;
  const countedBefore = await restoredRecordsCounted(b);
  a.process.child.kill("SIGKILL");
  await a.process.exited(10_000);
  const killedAt = Date.now();

  // b takes a's task over after a's session expires; its restore replays only what its standby had not applied
  // by then (the standby keeps reading while a's session runs out, so usually nothing), never the store.
  const runningBefore = b.process.logs("task running").length;
  await eventually(`b running task ${victimTask}`, 60_000, () => {
    assert.ok(b.process.running(), `b exited:\n${tails()}`);
    return b.process.logs("task running").slice(runningBefore).some((l) => l.task === victimTask);
  });
  const takeOverMs = Date.now() - killedAt;
  const restores = restoresLogged(b.process).slice(restoresBefore).filter((r) => r.task === victimTask);
  const restored = restores.reduce((n, r) => n + r.restored, 0);
  // The counter's growth since the kill is the take-over's replay (b's own task may have restored before).
  const counted = (await restoredRecordsCounted(b)) - countedBefore;
  const storeSize = keys / 2;
  assert.ok(standbyCheckpoint >= storeSize * 0.8, `b's standby had applied the store's changelog (checkpoint ${standbyCheckpoint}) before the kill`);
  for (const r of restores) {
    assert.equal(r.rebuilt, false, `b restored ${victimTask} from its standby's file: ${JSON.stringify(r)}`);
    assert.ok(Number(r.fromOffset) >= storeSize * 0.8, `the restore starts at the standby's checkpoint, not near 0: ${JSON.stringify(r)}`);
  }
  assert.equal(counted, restored, "weir_restore_records_total grew by the \"restore done\" lines' count");
  assert.ok(restored <= more.length, `restored ${restored} records, no more than the input since the standby caught up (${more.length})`);
  assert.ok(restored < storeSize / 5, `restored ${restored} records, far fewer than the store's ~${storeSize} entries`);
  if (holdStandby) {
    assert.equal(restores.length, 1, `one restore of ${victimTask} on b: ${JSON.stringify(restores)}`);
    const [r] = restores;
    assert.equal(Number(r!.fromOffset), standbyCheckpoint, "the restore starts at the held standby's checkpoint");
    // The lag: every committed changelog record between the checkpoint and the end, transaction markers aside.
    const lag = Number(r!.toOffset) - Number(r!.fromOffset);
    assert.ok(restored > 0 && restored <= lag, `restored ${restored} of the standby's lag of ${lag} offsets (the rest are transaction markers)`);
  }

  const last = payments({ count: 2_000, keys, everyKey: false, seed: 19 });
  await writePayments(input, last);
  written.push(...last);
  const settled = await readSettled(output, written.length, 180_000);
  const report = verifyCounts(amountsByKey(written), settled);
  assert.ok(report.ok, `after ${written.length} input records:\n${describeReport(report)}\n${tails()}`);
  assert.equal(report.outputRecords, written.length, "one output record per input record");
  console.log(`[${client}] standby take-over: task ${victimTask} restored ${restored} records (${JSON.stringify(restores)}); its standby's checkpoint before the kill ${standbyCheckpoint}; its store ~${storeSize} keys; running on b ${takeOverMs} ms after the kill`);
}
