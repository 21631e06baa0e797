// `weir run --workers 2` (docs/architecture.md, "Workers"): two members of the group in one service behind one
// HTTP port. Both hold tasks, the public port answers /tasks, /metrics and interactive queries for both, a
// SIGKILLed worker is restarted and nothing is lost or counted twice, and SIGTERM leaves no worker behind.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { eventually, freePort, killAll, readSettled, startWeir, StateDirs, TestTopics, uniqueName, type WeirProcess } from "./helpers/cluster.ts";
import { amountsByKey, payments, writePayments, type Payment } from "./helpers/payments.ts";
import { describeReport, verifyCounts } from "./helpers/verify-counts.ts";

const topics = new TestTopics();
const stateDirs = new StateDirs();
after(async () => {
  await killAll();
  await topics.drop();
  stateDirs.removeAll();
});

const keys = 200;

interface Totals {
  readonly count: number;
  readonly sum: number;
}

/** The PID of each worker's latest start, from the supervisor's "worker started" lines. */
function workerPids(weir: WeirProcess): Map<number, number> {
  const pids = new Map<number, number>();
  for (const line of weir.logs("worker started")) pids.set(line.worker as number, line.workerPid as number);
  return pids;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function getJson<T>(url: string): Promise<{ status: number; body: T }> {
  const response = await fetch(url);
  return { status: response.status, body: (await response.json()) as T };
}

test("weir run --workers 2: one HTTP port for two members, a killed worker restarted, exact counts, clean stop", { timeout: 240_000 }, async () => {
  const input = await topics.create("workers-payments", 4);
  const output = await topics.create("workers-totals", 4);
  const applicationId = uniqueName("workers");
  topics.adopt(`${applicationId}-totals-changelog`);
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const written: Payment[] = payments({ count: 20_000, keys, seed: 21 });
  await writePayments(input, written);
  const weir = startWeir(["run", "integration-tests/apps/count-and-sum.ts", "--workers", "2"], {
    COUNT_INPUT_TOPIC: input,
    COUNT_OUTPUT_TOPIC: output,
    WEIR_APPLICATION_ID: applicationId,
    WEIR_HTTP_PORT: String(port),
    // The killed worker's session expires after 6 s (the broker's minimum), so its tasks move on soon.
    WEIR_SESSION_TIMEOUT_MS: "6000",
    WEIR_HEARTBEAT_INTERVAL_MS: "1000",
  }, { stateDir: stateDirs.create() });
  const tail = () => weir.stderr().slice(-4000);

  const exact = async (what: string) => {
    const settled = await readSettled(output, written.length, 120_000);
    const report = verifyCounts(amountsByKey(written), settled);
    assert.ok(report.ok, `${what}, after ${written.length} input records:\n${describeReport(report)}\n${tail()}`);
    assert.equal(report.outputRecords, written.length, `${what}: one output record per input record`);
  };
  await exact("two workers");

  // /tasks through the public port: both workers are instances of the group, each with tasks.
  type Tasks = { instances: { instance: string; applicationServer: string | null; tasks: string[] }[] };
  await eventually("/tasks lists two instances, each with tasks", 60_000, async () => {
    assert.ok(weir.running(), `the service exited with ${weir.child.exitCode}:\n${tail()}`);
    const { body } = await getJson<Tasks>(`${base}/tasks`).catch(() => ({ body: { instances: [] } }));
    return body.instances.length === 2 && body.instances.every((i) => i.tasks.length > 0);
  });
  const { body: tasks } = await getJson<Tasks>(`${base}/tasks`);
  assert.deepEqual(tasks.instances.flatMap((i) => i.tasks).sort(), ["0_0", "0_1", "0_2", "0_3"], JSON.stringify(tasks));
  assert.ok(tasks.instances.every((i) => i.applicationServer !== `127.0.0.1:${port}`), "each worker advertises its own port, not the public one");

  // /metrics: the counters of both workers summed. Output records count at commit: one per input record. Input
  // records count as processed, so a batch whose commit the start-up rebalance refused (its task moved to the other
  // worker, which processed it again) counts twice: the public figure is the sum of the workers' own.
  const metric = async (url: string, name: string, topic: string) => {
    const text = await (await fetch(`${url}/metrics`)).text();
    const line = text.split("\n").find((l) => l.startsWith(`${name}{`) && l.includes(`topic="${topic}"`));
    return line === undefined ? 0 : Number(line.split(" ").at(-1));
  };
  let produced = 0;
  await eventually(`weir_records_produced_total = ${written.length}`, 30_000, async () => (produced = await metric(base, "weir_records_produced_total", output)) === written.length).catch(
    (err: unknown) => {
      throw new Error(`${err instanceof Error ? err.message : String(err)}: it is ${produced}\n${tail()}`);
    },
  );
  const workerUrls = tasks.instances.map((i) => `http://${i.applicationServer}`);
  const perWorker = await Promise.all(workerUrls.map((url) => metric(url, "weir_records_consumed_total", input)));
  const consumed = await metric(base, "weir_records_consumed_total", input);
  assert.equal(consumed, perWorker[0]! + perWorker[1]!, `the public figure is the workers' sum (${perWorker.join(" + ")})`);
  assert.ok(consumed >= written.length, `${consumed} records consumed of ${written.length} written`);

  // Interactive queries through the public port: every key answers, whichever worker owns its task.
  const expected = amountsByKey(written);
  for (const [key, amounts] of expected) {
    const { status, body } = await getJson<{ value: Totals }>(`${base}/stores/totals/keys/${encodeURIComponent(key)}`);
    assert.equal(status, 200, `key ${key}: ${JSON.stringify(body)}`);
    assert.deepEqual(body.value, { count: amounts.length, sum: amounts.reduce((a, b) => a + b, 0) }, `key ${key}`);
  }
  const health = await getJson<{ status: string }>(`${base}/health`);
  assert.equal(health.status, 200, JSON.stringify(health.body));

  // SIGKILL worker 1: the supervisor restarts it on its own state dir; counts stay exact.
  const before = workerPids(weir);
  assert.equal(before.size, 2, `two "worker started" lines:\n${tail()}`);
  process.kill(before.get(1)!, "SIGKILL");
  const more = payments({ count: 10_000, keys, seed: 22, everyKey: false });
  written.push(...more);
  await writePayments(input, more);
  await eventually("worker 1 restarted", 30_000, () => {
    const pid = workerPids(weir).get(1);
    return pid !== undefined && pid !== before.get(1);
  });
  assert.equal(weir.logs("worker exited: restarting it").length, 1, tail());
  await exact("after worker 1 was killed and restarted");
  await eventually("the restarted worker holds tasks again", 60_000, async () => {
    const { body } = await getJson<Tasks>(`${base}/tasks`).catch(() => ({ body: { instances: [] } }));
    return body.instances.length === 2 && body.instances.every((i) => i.tasks.length > 0);
  });

  // SIGTERM the supervisor: every worker stops, the service exits 0, no worker process is left.
  const pids = [...workerPids(weir).values()];
  weir.child.kill("SIGTERM");
  assert.equal(await weir.exited(60_000), 0, tail());
  assert.deepEqual(pids.filter(alive), [], "no worker process is left");
});

test("a worker that exits 3 (an input topic is missing) is not restarted: the service stops the others and exits 3", { timeout: 120_000 }, async () => {
  const output = await topics.create("workers-missing-totals", 2);
  const weir = startWeir(["run", "integration-tests/apps/count-and-sum.ts", "--workers", "2"], {
    COUNT_INPUT_TOPIC: uniqueName("workers-no-such-topic"),
    COUNT_OUTPUT_TOPIC: output,
    WEIR_APPLICATION_ID: uniqueName("workers-missing"),
  });
  assert.equal(await weir.exited(60_000), 3, weir.stderr().slice(-4000));
  assert.equal(weir.logs("worker exited: restarting it").length, 0, "no restart");
  assert.deepEqual([...workerPids(weir).values()].filter(alive), [], "no worker process is left");
});

test("weir run --until-end --workers 2 stops once the group has committed every input partition up to its end, exit 0", { timeout: 180_000 }, async () => {
  const input = await topics.create("workers-bounded-payments", 4);
  const output = await topics.create("workers-bounded-totals", 4);
  const applicationId = uniqueName("workers-bounded");
  topics.adopt(`${applicationId}-totals-changelog`);
  const written = payments({ count: 10_000, keys, seed: 23 });
  await writePayments(input, written);
  const weir = startWeir(["run", "integration-tests/apps/count-and-sum.ts", "--workers", "2", "--until-end"], {
    COUNT_INPUT_TOPIC: input,
    COUNT_OUTPUT_TOPIC: output,
    WEIR_APPLICATION_ID: applicationId,
  });
  assert.equal(await weir.exited(150_000), 0, weir.stderr().slice(-4000));
  assert.equal(weir.logs("bounded run reached the end offsets noted at start").length, 1);
  // Both workers ran (neither was started bounded on its own) and the output is exact.
  assert.deepEqual([...workerPids(weir).keys()].sort(), [0, 1]);
  const settled = await readSettled(output, written.length, 30_000);
  const report = verifyCounts(amountsByKey(written), settled);
  assert.ok(report.ok, describeReport(report));
  assert.equal(report.outputRecords, written.length);
});

test("a supervisor killed with SIGKILL leaves no worker behind: each stops as on SIGTERM", { timeout: 120_000 }, async () => {
  const input = await topics.create("workers-orphan-payments", 2);
  const output = await topics.create("workers-orphan-totals", 2);
  const applicationId = uniqueName("workers-orphan");
  topics.adopt(`${applicationId}-totals-changelog`);
  const weir = startWeir(["run", "integration-tests/apps/count-and-sum.ts", "--workers", "2"], {
    COUNT_INPUT_TOPIC: input,
    COUNT_OUTPUT_TOPIC: output,
    WEIR_APPLICATION_ID: applicationId,
  });
  await eventually("both workers running", 60_000, () => {
    assert.ok(weir.running(), weir.stderr().slice(-4000));
    return new Set(weir.logs("app running").map((l) => l.worker)).size === 2;
  });
  const pids = [...workerPids(weir).values()];
  weir.child.kill("SIGKILL");
  await weir.exited(10_000);
  await eventually("both workers gone", 60_000, () => pids.every((pid) => !alive(pid)));
  // They stopped as on a signal: each logged its clean stop.
  assert.equal(weir.logs("app stopped").filter((l) => l.state === "stopped").length, 2, weir.stderr().slice(-4000));
});
