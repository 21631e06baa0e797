// `weir reset`: an application's changelog is deleted and its group's offsets go back to the earliest input
// offsets, so a re-run reproduces the first run's output exactly; a dry run changes nothing; a running instance
// makes it refuse.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { pino } from "pino";
import { createKafkaClient, type TopicAdmin } from "../src/kafka/index.ts";
import type { ConsumedRecord, TopicPartitionOffset } from "../src/kafka/types.ts";
import { connection, eventually, killAll, readSettled, root, startWeir, StateDirs, TestTopics, uniqueName } from "./helpers/cluster.ts";
import { amountsByKey, payments, writePayments } from "./helpers/payments.ts";
import { describeReport, verifyCounts } from "./helpers/verify-counts.ts";

const topics = new TestTopics();
const stateDirs = new StateDirs();
const resets = new Set<ChildProcess>();
after(async () => {
  for (const child of resets) child.kill("SIGKILL");
  await killAll();
  await topics.drop();
  stateDirs.removeAll();
});

const countAndSum = "integration-tests/apps/count-and-sum.ts";

interface ResetResult {
  readonly code: number | string;
  readonly stdout: string[];
  readonly stderr: string;
}

/** Runs `weir reset <args>` to its exit (killed by PID after `timeoutMs`); stdout as lines. */
function reset(args: readonly string[], env: Record<string, string | undefined> = {}, timeoutMs = 60_000): Promise<ResetResult> {
  // An undefined value removes the variable.
  const childEnv = Object.fromEntries(Object.entries({ ...process.env, ...env }).filter(([, v]) => v !== undefined));
  const child = spawn(process.execPath, [join(root, "src/cli/weir.ts"), "reset", ...args], { cwd: root, env: childEnv, stdio: ["ignore", "pipe", "pipe"] });
  resets.add(child);
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
  return new Promise((resolve) =>
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      resets.delete(child);
      resolve({ code: code ?? signal ?? "unknown", stdout: stdout.split("\n").filter((l) => l.length > 0), stderr });
    }),
  );
}

async function withAdmin<T>(use: (admin: TopicAdmin) => Promise<T>): Promise<T> {
  const logger = pino({ level: "warn" }, pino.destination({ fd: 2, sync: true }));
  const admin = createKafkaClient("kafkajs", { clientId: "weir-it-reset", brokers: connection().brokers, connectionTimeoutMs: 3000, requestTimeoutMs: 30000 }, logger).admin();
  try {
    return await use(admin);
  } finally {
    await admin.close();
  }
}

function committed(groupId: string): Promise<TopicPartitionOffset[]> {
  return withAdmin(async (admin) => (await admin.allCommittedOffsets(groupId)).sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition));
}

function topicExists(topic: string): Promise<boolean> {
  return withAdmin(async (admin) => (await admin.topicNames()).includes(topic));
}


async function runUntilEnd(env: Record<string, string>, stateDir: string): Promise<void> {
  const p = startWeir(["run", countAndSum, "--until-end"], env, { stateDir });
  const code = await p.exited(90_000);
  assert.equal(code, 0, `weir run --until-end exits 0; stderr ends:\n${p.stderr().slice(-4000)}`);
}

/** Per key, its output values in order (one key's records are in one partition, read in offset order). */
function valuesByKey(records: readonly ConsumedRecord[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const r of records) {
    const key = r.key?.toString("utf8") ?? "(null)";
    const values = out.get(key) ?? [];
    values.push(r.value?.toString("utf8") ?? "(null)");
    out.set(key, values);
  }
  return out;
}

async function fixture(prefix: string) {
  const input = await topics.create(`${prefix}-payments`, 3);
  const output = await topics.create(`${prefix}-totals`, 3);
  const applicationId = uniqueName(prefix);
  const changelog = topics.adopt(`${applicationId}-totals-changelog`);
  const env = { COUNT_INPUT_TOPIC: input, COUNT_OUTPUT_TOPIC: output, WEIR_APPLICATION_ID: applicationId };
  return { input, output, applicationId, changelog, env, stateDir: stateDirs.create() };
}

test("weir reset --dry-run prints the changelog it would delete and the offsets it would reset, and changes nothing", { timeout: 150_000 }, async () => {
  const f = await fixture("reset-dry");
  await writePayments(f.input, payments({ count: 600, keys: 30, seed: 41 }));
  await runUntilEnd(f.env, f.stateDir);
  const before = await committed(f.applicationId);
  assert.deepEqual([...new Set(before.map((o) => o.topic))], [f.input], "the group committed offsets of its input only");

  const result = await reset(["--application-id", f.applicationId, "--dry-run", "--state-dir", f.stateDir]);
  assert.equal(result.code, 0, result.stderr);
  const moves = before.map((o) => `${o.partition}: ${o.offset} → 0`).join(", ");
  assert.deepEqual(result.stdout, [
    `would reset offsets of group ${f.applicationId} on topic ${f.input} to earliest (partition: committed → earliest): ${moves}`,
    `would delete topic ${f.changelog}`,
    `would delete local state ${join(f.stateDir, f.applicationId)}`,
  ]);

  assert.ok(await topicExists(f.changelog), "the changelog topic still exists");
  assert.deepEqual(await committed(f.applicationId), before, "the committed offsets are unchanged");
  assert.ok(existsSync(join(f.stateDir, f.applicationId)), "the local state is still there");
});

test("after weir reset a re-run of the application reproduces the first run's output exactly", { timeout: 240_000 }, async () => {
  const f = await fixture("reset-rerun");
  const input = payments({ count: 2_000, keys: 50, seed: 42 });
  await writePayments(f.input, input);
  await runUntilEnd(f.env, f.stateDir);
  const first = await readSettled(f.output, input.length, 30_000);
  const report = verifyCounts(amountsByKey(input), first);
  assert.ok(report.ok, `the first run's output is exact: ${describeReport(report)}`);

  const result = await reset(["--application-id", f.applicationId, "--bootstrap-servers", connection().brokers.join(","), "--state-dir", f.stateDir]);
  assert.equal(result.code, 0, result.stderr);
  assert.ok(result.stdout.some((l) => l.startsWith(`reset offsets of group ${f.applicationId} on topic ${f.input} to earliest`)), result.stdout.join("\n"));
  assert.ok(result.stdout.includes(`deleted topic ${f.changelog}`), result.stdout.join("\n"));
  assert.ok(!(await topicExists(f.changelog)), "the changelog topic is gone");
  assert.ok(!existsSync(join(f.stateDir, f.applicationId)), "the local state is gone");
  assert.deepEqual(
    (await committed(f.applicationId)).map((o) => [o.topic, o.partition, o.offset]),
    [0, 1, 2].map((p) => [f.input, p, "0"]),
    "the group's offsets are the input's earliest",
  );

  const output2 = await topics.create("reset-rerun-totals2", 3);
  await runUntilEnd({ ...f.env, COUNT_OUTPUT_TOPIC: output2 }, f.stateDir);
  const second = await readSettled(output2, input.length, 30_000);
  assert.equal(second.length, first.length, "as many output records as the first run");
  assert.deepEqual(valuesByKey(second), valuesByKey(first), "per key, the same updates with the same values");
});

test("weir reset refuses while an instance of the application runs, naming the group, and changes nothing", { timeout: 150_000 }, async () => {
  const f = await fixture("reset-active");
  await writePayments(f.input, payments({ count: 100, keys: 10, seed: 43 }));
  const instance = startWeir(["run", countAndSum], f.env, { stateDir: f.stateDir });
  await eventually('the instance logs "task running"', 60_000, () => instance.logs("task running").length > 0 || !instance.running());
  assert.ok(instance.running(), `the instance runs; stderr ends:\n${instance.stderr().slice(-4000)}`);
  // Settled first, so that "unchanged" below is about the reset and not about the instance's own commits.
  await eventually("the instance to commit its 100 input records", 60_000, async () => (await committed(f.applicationId)).reduce((n, o) => n + Number(o.offset), 0) === 100);
  const before = await committed(f.applicationId);

  const result = await reset(["--application-id", f.applicationId]);
  assert.equal(result.code, 2, `exit code 2; stderr: ${result.stderr}`);
  assert.match(result.stderr, new RegExp(`group "${f.applicationId}" has 1 active member .*stop all instances`));
  assert.deepEqual(result.stdout, [], "nothing was printed as done");
  assert.ok(await topicExists(f.changelog), "the changelog topic still exists");
  assert.deepEqual(await committed(f.applicationId), before, "the committed offsets are unchanged");

  instance.child.kill("SIGTERM");
  assert.equal(await instance.exited(30_000), 0, `SIGTERM stops the instance cleanly; stderr ends:\n${instance.stderr().slice(-4000)}`);
});

test("weir reset without a bootstrap server fails naming the setting, with exit code 2", async () => {
  const result = await reset(["--application-id", uniqueName("reset-nobroker")], { KAFKA_BOOTSTRAP_SERVERS: undefined, WEIR_BOOTSTRAP_SERVERS: undefined });
  assert.equal(result.code, 2, result.stderr);
  assert.match(result.stderr, /bootstrapServers is missing: pass --bootstrap-servers or set WEIR_BOOTSTRAP_SERVERS or KAFKA_BOOTSTRAP_SERVERS/);
});
