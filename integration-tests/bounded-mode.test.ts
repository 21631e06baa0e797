// `weir run <module> --until-end`: the inputs' end offsets noted at the start are processed, committed
// exactly once, and the process exits 0 on its own.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { deleteAllRecords, readTopic } from "../src/kafka/tools.ts";
import { connection, killAll, readSettled, startWeir, StateDirs, TestTopics, uniqueName, type WeirProcess } from "./helpers/cluster.ts";
import { amountsByKey, payments, writePayments, type Payment } from "./helpers/payments.ts";
import { describeReport, verifyCounts } from "./helpers/verify-counts.ts";

const topics = new TestTopics();
const stateDirs = new StateDirs();
after(async () => {
  await killAll();
  await topics.drop();
  stateDirs.removeAll();
});

const countAndSum = "integration-tests/apps/count-and-sum.ts";


async function runUntilEnd(env: Record<string, string>, stateDir: string, timeoutMs: number): Promise<WeirProcess> {
  const p = startWeir(["run", countAndSum, "--until-end"], env, { stateDir });
  const code = await p.exited(timeoutMs);
  assert.equal(code, 0, `weir run --until-end exits 0 once its inputs are processed; stderr ends:\n${p.stderr().slice(-4000)}`);
  return p;
}

async function assertExactOutput(output: string, written: readonly Payment[], runs: readonly WeirProcess[]): Promise<void> {
  // The process has exited: what is committed is all there will be, so a short quiet period is enough.
  const settled = await readSettled(output, written.length, 30_000);
  const report = verifyCounts(amountsByKey(written), settled);
  const stderr = runs.map((p, i) => `--- run ${i + 1} stderr ends:\n${p.stderr().slice(-3000)}`).join("\n");
  assert.ok(report.ok, `${describeReport(report)}\n${stderr}`);
  assert.equal(report.outputRecords, written.length, "one output record per input record");
}

async function fixture(prefix: string) {
  const input = await topics.create(`${prefix}-payments`, 3);
  const output = await topics.create(`${prefix}-totals`, 3);
  const applicationId = uniqueName(prefix);
  topics.adopt(`${applicationId}-totals-changelog`);
  const env = { COUNT_INPUT_TOPIC: input, COUNT_OUTPUT_TOPIC: output, WEIR_APPLICATION_ID: applicationId };
  return { input, output, env, stateDir: stateDirs.create() };
}

test("weir run --until-end processes the 20,000 records already in the input exactly once and exits 0", { timeout: 150_000 }, async (t) => {
  const f = await fixture("bounded");
  const input = payments({ count: 20_000, keys: 2_000, seed: 31 });
  await writePayments(f.input, input);

  const started = Date.now();
  const run = await runUntilEnd(f.env, f.stateDir, 90_000);
  t.diagnostic(`20,000 records processed and the process exited in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  await assertExactOutput(f.output, input, [run]);
});

test("a second weir run --until-end goes on from the committed offsets and totals", { timeout: 150_000 }, async () => {
  const f = await fixture("bounded-again");
  const first = payments({ count: 10_000, keys: 1_000, seed: 32 });
  await writePayments(f.input, first);
  const run1 = await runUntilEnd(f.env, f.stateDir, 90_000);

  const second = payments({ count: 3_000, keys: 1_000, seed: 33, everyKey: false });
  await writePayments(f.input, second);
  const run2 = await runUntilEnd(f.env, f.stateDir, 90_000);
  // Counts 1 … n per key over both runs: nothing of the first run processed again, nothing counted from zero.
  await assertExactOutput(f.output, [...first, ...second], [run1, run2]);
});

test("a partition whose records were all deleted (retention) counts as at its end: the run exits 0", { timeout: 150_000 }, async () => {
  const f = await fixture("bounded-deleted");
  await writePayments(f.input, payments({ count: 1_000, keys: 100, seed: 34 }));
  await deleteAllRecords(connection(), f.input);
  await runUntilEnd(f.env, f.stateDir, 60_000);
  assert.deepEqual(await readTopic(connection(), f.output, { timeoutMs: 2000 }), [], "nothing was left to process");
});
