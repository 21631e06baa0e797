// Operating an instance: its Prometheus metrics, /health and /ready (503 while a large store restores),
// /topology, and a SIGTERM in the middle of processing that loses and duplicates nothing.
import { writeFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { tailTopics } from "../src/kafka/tools.ts";
import { connection, eventually, killAll, readSettled, startWeir, StateDirs, TestTopics, uniqueName, type WeirProcess } from "./helpers/cluster.ts";
import { amountsByKey, payments, writePayments } from "./helpers/payments.ts";
import { describeReport, verifyCounts } from "./helpers/verify-counts.ts";

const topics = new TestTopics();
const stateDirs = new StateDirs();
let stopTail: (() => Promise<void>) | undefined;
after(async () => {
  await stopTail?.();
  await killAll();
  await topics.drop();
  stateDirs.removeAll();
});

const countAndSum = "integration-tests/apps/count-and-sum.ts";

async function fixture(prefix: string, partitions: number) {
  const input = await topics.create(`${prefix}-payments`, partitions);
  const output = await topics.create(`${prefix}-totals`, partitions);
  const applicationId = uniqueName(prefix);
  topics.adopt(`${applicationId}-totals-changelog`);
  return { input, output, env: { COUNT_INPUT_TOPIC: input, COUNT_OUTPUT_TOPIC: output, WEIR_APPLICATION_ID: applicationId } };
}


/** The port an instance's HTTP server took (it starts on port 0 in tests), from its log. */
async function httpBase(weir: WeirProcess): Promise<string> {
  await eventually("the http server to listen", 30_000, () => weir.logs("http server listening").length > 0);
  return `http://127.0.0.1:${String(weir.logs("http server listening")[0]!.port)}`;
}

/** Prometheus text → the sum of a metric's samples matching `labels`. */
function metricSum(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of text.split("\n")) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([^}]*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const sampleLabels: Record<string, string> = {};
    for (const m of (match[3] ?? "").matchAll(/(\w+)="([^"]*)"/g)) sampleLabels[m[1]!] = m[2]!;
    if (Object.entries(labels).every(([k, v]) => sampleLabels[k] === v)) sum += Number(match[4]);
  }
  return sum;
}

test("after N records, /metrics counts N consumed and N produced, and the lag falls to 0", async () => {
  const { input, output, env } = await fixture("metrics", 3);
  const written = payments({ count: 6_000, keys: 300, seed: 11 });
  await writePayments(input, written);
  const weir = startWeir(["run", countAndSum], env, { stateDir: stateDirs.create() });
  const base = await httpBase(weir);
  await readSettled(output, written.length, 90_000);

  let text = "";
  await eventually("the lag to fall to 0", 30_000, async () => {
    text = await (await fetch(`${base}/metrics`)).text();
    return metricSum(text, "weir_records_consumed_total") === written.length && metricSum(text, "weir_consumer_lag") === 0;
  });
  // Every line is Prometheus text: a comment, blank, or `name{labels} value`.
  for (const line of text.split("\n")) assert.match(line, /^(#.*|$|[a-zA-Z_:][a-zA-Z0-9_:]*(\{.*\})? -?[0-9.e+Na-]+)$/, `not Prometheus text: ${line}`);
  assert.equal(metricSum(text, "weir_records_consumed_total", { topic: input }), written.length);
  assert.equal(metricSum(text, "weir_records_produced_total", { topic: output }), written.length, "every update is emitted");
  assert.equal(metricSum(text, "weir_tasks_owned"), 3);
  assert.equal(metricSum(text, "weir_store_entries"), 300, "one entry per key");
  assert.ok(metricSum(text, "weir_commits_total") > 0);
  assert.ok(metricSum(text, "weir_commit_latency_seconds_count") > 0);
  assert.equal(metricSum(text, "weir_end_to_end_latency_seconds_count"), written.length);
  assert.ok(metricSum(text, "process_cpu_seconds_total") > 0, "Node's default process metrics are there too");

  const health = await fetch(`${base}/health`);
  assert.equal(health.status, 200);
  const topology = (await (await fetch(`${base}/topology`)).json()) as { subTopologies: { nodes: { kind: string; stores: string[] }[] }[]; mermaid: string };
  assert.ok(topology.subTopologies[0]!.nodes.some((n) => n.stores.includes("totals")));
  assert.match(topology.mermaid, /^flowchart LR/);

  weir.child.kill("SIGTERM");
  assert.equal(await weir.exited(30_000), 0);
});

test("/ready answers 503 while a large store restores and 200 once it runs", async () => {
  const { input, output, env } = await fixture("ready", 2);
  // 30,000 distinct keys: a changelog replayed into an empty state dir.
  const written = payments({ count: 30_000, keys: 30_000, seed: 5 });
  await writePayments(input, written);
  const first = startWeir(["run", countAndSum, "--until-end"], env, { stateDir: stateDirs.create() });
  assert.equal(await first.exited(180_000), 0, first.stderr().slice(-3000));

  // A new instance on an empty state dir: both tasks restore their whole changelog before running. The restore
  // is held (the WEIR_TEST_HOLD_RESTORE_FILE hook) until the test has seen /ready answer 503: no race with it.
  const hold = join(stateDirs.create(), "hold-restore");
  writeFileSync(hold, "");
  const second = startWeir(["run", countAndSum], { ...env, WEIR_TEST_HOLD_RESTORE_FILE: hold }, { stateDir: stateDirs.create() });
  const base = await httpBase(second);
  await eventually("a restore to be held", 120_000, () => second.logs("restore held (test hook): waiting for the file to be deleted").length > 0);
  const held = await fetch(`${base}/ready`);
  const body = (await held.json()) as { reason?: string };
  assert.equal(held.status, 503);
  assert.match(body.reason ?? "", /tasks not running yet \(restoring\)/);
  rmSync(hold);

  await eventually("/ready to answer 200", 120_000, async () => (await fetch(`${base}/ready`)).status === 200);
  const restored = second.logs("restore done").reduce((n, l) => n + Number(l.restored), 0);
  assert.equal(restored, 30_000, "the whole changelog was replayed");
  assert.equal((await readSettled(output, written.length, 30_000)).length, written.length);
  second.child.kill("SIGTERM");
  assert.equal(await second.exited(30_000), 0);
});

test("SIGTERM in the middle of processing exits 0 within the timeout, losing and duplicating nothing", async (t) => {
  const { input, output, env } = await fixture("sigterm", 3);
  const written = payments({ count: 60_000, keys: 2_000, seed: 3 });
  await writePayments(input, written.slice(0, 20_000));
  let committed = 0;
  stopTail = await tailTopics(connection(), [output], () => (committed += 1));
  const stateDir = stateDirs.create();
  const first = startWeir(["run", countAndSum], { ...env, WEIR_SHUTDOWN_TIMEOUT_MS: "20000" }, { stateDir });
  await eventually("5,000 updates to be committed", 90_000, () => committed >= 5_000);
  // More arrives in slices while the app runs, and the signal lands once two slices are in, so it always lands
  // with input flowing; the writing stops at the signal and the rest is written after the exit (a fixed
  // schedule could run out before a slow start reached 5,000 updates, and the app then finished everything).
  let writtenSoFar = 20_000;
  let signalled = false;
  const writing = (async () => {
    for (; writtenSoFar < written.length && !signalled; writtenSoFar += 2_000) {
      await writePayments(input, written.slice(writtenSoFar, writtenSoFar + 2_000));
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  await eventually("two more slices to be written", 30_000, () => writtenSoFar >= 24_000);
  const signalledAt = Date.now();
  signalled = true;
  first.child.kill("SIGTERM");
  assert.equal(await first.exited(25_000), 0, first.stderr().slice(-3000));
  const shutdownMs = Date.now() - signalledAt;
  await writing;
  assert.ok(committed < written.length, "the signal landed while records were still to be processed");
  await writePayments(input, written.slice(writtenSoFar));

  // A second run on the same state dir finishes the input; the committed output must be exact.
  const second = startWeir(["run", countAndSum, "--until-end"], env, { stateDir });
  assert.equal(await second.exited(120_000), 0, second.stderr().slice(-3000));
  const report = verifyCounts(amountsByKey(written), await readSettled(output, written.length, 30_000));
  assert.ok(report.ok, describeReport(report));
  assert.equal(report.outputRecords, written.length);
  t.diagnostic(`SIGTERM to exit: ${shutdownMs} ms`);
});
