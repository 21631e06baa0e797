// Interactive queries across three `weir run` instances on the real broker: every key asked through one
// instance is answered with its committed totals (forwarded to the owner when needed), range, prefix and
// all queries merge every instance's tasks, and /tasks shows the tasks of every instance.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { eventually, freePort, killAll, readSettled, startWeir, StateDirs, TestTopics, uniqueName, type WeirProcess } from "./helpers/cluster.ts";
import { amountsByKey, payments, writePayments } from "./helpers/payments.ts";

const topics = new TestTopics();
const stateDirs = new StateDirs();
after(async () => {
  await killAll();
  await topics.drop();
  stateDirs.removeAll();
});

interface Totals {
  readonly count: number;
  readonly sum: number;
}
interface Entries {
  readonly entries: { key: string; value: Totals }[];
  readonly truncated: boolean;
}
interface TasksJson {
  readonly instances: { instance: string; applicationServer: string | null; tasks: string[]; snapshots?: { id: string; status: string }[]; error?: string }[];
  readonly tasks: { id: string; status: string }[];
}

async function getJson<T>(url: string): Promise<{ status: number; body: T }> {
  const response = await fetch(url);
  return { status: response.status, body: (await response.json()) as T };
}

test("three instances answer every key, range, prefix and all query from any one of them, and /tasks shows all three", async (t) => {
  const partitions = 4;
  const input = await topics.create("iq-payments", partitions);
  const output = await topics.create("iq-totals", partitions);
  const applicationId = uniqueName("iq");
  topics.adopt(`${applicationId}-totals-changelog`);
  const written = payments({ count: 3_000, keys: 150, seed: 17 });
  await writePayments(input, written);

  const instances: { weir: WeirProcess; base: string }[] = [];
  for (let i = 0; i < 3; i++) {
    const port = await freePort();
    const env = {
      COUNT_INPUT_TOPIC: input,
      COUNT_OUTPUT_TOPIC: output,
      WEIR_APPLICATION_ID: applicationId,
      WEIR_HTTP_PORT: String(port),
      WEIR_APPLICATION_SERVER: `127.0.0.1:${port}`,
    };
    instances.push({ weir: startWeir(["run", "integration-tests/apps/count-and-sum.ts"], env, { stateDir: stateDirs.create() }), base: `http://127.0.0.1:${port}` });
  }
  const [a, b, c] = instances as [(typeof instances)[0], (typeof instances)[0], (typeof instances)[0]];
  await readSettled(output, written.length, 120_000);

  // The group settles: every instance ready, and one /tasks lists the three, each with a task, all four running.
  // (Each instance's first task can come a rebalance after it joined: a cooperative rebalance revokes a task from
  // its owner in one round and assigns it in the next, so "each instance runs a task" is part of settling.)
  await eventually("three ready instances, each with a task, running all tasks", 90_000, async () => {
    for (const { base } of instances) if ((await fetch(`${base}/ready`).catch(() => undefined))?.status !== 200) return false;
    const { body } = await getJson<TasksJson>(`${c.base}/tasks`);
    // This instance's tasks are in `tasks`, the others' in their `snapshots`.
    const running = [...body.tasks, ...body.instances.flatMap((i) => i.snapshots ?? [])].filter((s) => s.status === "running").map((s) => s.id);
    return body.instances.length === 3 && body.instances.every((i) => !i.error && i.tasks.length > 0) && new Set(running).size === partitions;
  });
  const tasks = (await getJson<TasksJson>(`${c.base}/tasks`)).body;
  assert.deepEqual(tasks.instances.map((i) => i.applicationServer).sort(), instances.map((i) => i.base.slice("http://".length)).sort());
  assert.deepEqual(tasks.instances.flatMap((i) => i.tasks).sort(), ["0_0", "0_1", "0_2", "0_3"]);
  assert.ok(tasks.instances.every((i) => i.tasks.length > 0), "each instance runs a task");

  // Every key through instance a: three quarters of them are owned elsewhere and forwarded.
  const expected = new Map([...amountsByKey(written)].map(([key, amounts]) => [key, { count: amounts.length, sum: amounts.reduce((s, x) => s + x, 0) }]));
  for (const [key, totals] of expected) {
    const answer = await getJson<{ key: string; value: Totals }>(`${a.base}/stores/totals/keys/${encodeURIComponent(key)}`);
    assert.equal(answer.status, 200, `${key}: ${JSON.stringify(answer.body)}`);
    assert.deepEqual(answer.body.value, totals, key);
  }
  assert.ok(a.weir.logs("task owners known").length > 0, "instance a learned the task owners from the group");

  const byBytes = (x: string, y: string) => Buffer.compare(Buffer.from(x), Buffer.from(y));
  const keys = [...expected.keys()].sort(byBytes);
  const range = await getJson<Entries>(`${b.base}/stores/totals/range?from=k-1&to=k-3&limit=10000`);
  assert.equal(range.status, 200);
  assert.deepEqual(range.body.entries.map((e) => e.key), keys.filter((k) => byBytes(k, "k-1") >= 0 && byBytes(k, "k-3") <= 0));
  assert.ok(range.body.entries.every((e) => e.value.count === expected.get(e.key)!.count));
  const prefix = await getJson<Entries>(`${b.base}/stores/totals/prefix/k-12`);
  assert.deepEqual(prefix.body.entries.map((e) => e.key), keys.filter((k) => k.startsWith("k-12")));
  const first = await getJson<Entries>(`${c.base}/stores/totals/all?limit=50`);
  assert.deepEqual(first.body.entries.map((e) => e.key), keys.slice(0, 50));
  assert.equal(first.body.truncated, true);
  const all = await getJson<Entries>(`${c.base}/stores/totals/all?limit=10000`);
  assert.equal(all.body.entries.length, expected.size);
  assert.equal(all.body.truncated, false);

  const unknownStore = await getJson<{ code: string }>(`${a.base}/stores/nope/keys/k-1`);
  assert.equal(unknownStore.status, 404);
  assert.equal(unknownStore.body.code, "WEIR_STORE_UNKNOWN");
  const missingKey = await getJson<{ code: string }>(`${a.base}/stores/totals/keys/no-such-key`);
  assert.equal(missingKey.status, 404);
  assert.equal(missingKey.body.code, "WEIR_KEY_NOT_FOUND");

  for (const { weir } of instances) weir.child.kill("SIGTERM");
  for (const { weir } of instances) assert.equal(await weir.exited(30_000), 0, weir.stderr().slice(-2000));
  t.diagnostic(`${expected.size} keys answered through one instance`);
});
