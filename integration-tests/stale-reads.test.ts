// Interactive queries during failover (docs/architecture.md, "Interactive queries during failover"): instances
// with numStandbyReplicas 1, each running one task and keeping a standby of another's. SIGKILL one: the instance
// with its task's standby takes the task over from the standby's file, and that restore is held (restore-hold.ts)
// so that the task is moving for as long as the test looks. Meanwhile a query for its keys answers 503 with
// Retry-After, and with ?stale=true the copy's value, equal to the committed one, marked stale: asked of the new
// owner itself (two instances), or of the third instance, which has no copy and forwards (three).
import { after, test } from "node:test";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import assert from "node:assert/strict";
import { partitionForKey } from "../src/kafka/index.ts";
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

interface LocalTasks {
  readonly tasks: { readonly id: string; readonly status: string }[];
  readonly standbys?: { readonly id: string; readonly lag: number | null }[];
}

interface Instance {
  readonly name: string;
  readonly process: WeirProcess;
  readonly base: string;
}

interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly body: Record<string, unknown>;
}

async function get(url: string): Promise<Answer> {
  const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  return { status: response.status, headers: response.headers, body: (await response.json()) as Record<string, unknown> };
}

async function localTasks(i: Instance): Promise<LocalTasks | undefined> {
  const response = await fetch(`${i.base}/tasks?scope=local`, { signal: AbortSignal.timeout(2000) }).catch(() => undefined);
  return response?.ok ? ((await response.json()) as LocalTasks) : undefined;
}

test("while a SIGKILLed instance's task moves, its keys answer 503 with Retry-After, and with ?stale=true the standby's copy", () => failover(2));
test("the same asked of an instance without a copy: it forwards the stale read to the task's new owner", () => failover(3));

async function failover(count: number): Promise<void> {
  const partitions = count;
  const input = await topics.create("stale-payments", partitions);
  const output = await topics.create("stale-totals", partitions);
  const applicationId = uniqueName("stale");
  topics.adopt(`${applicationId}-totals-changelog`);
  const hold = join(stateDirs.create(), "hold-restore");
  const start = async (name: string): Promise<Instance> => {
    const port = await freePort();
    const env = {
      COUNT_INPUT_TOPIC: input,
      COUNT_OUTPUT_TOPIC: output,
      WEIR_APPLICATION_ID: applicationId,
      WEIR_HTTP_PORT: String(port),
      WEIR_APPLICATION_SERVER: `127.0.0.1:${port}`,
      WEIR_NUM_STANDBY_REPLICAS: "1",
      WEIR_SESSION_TIMEOUT_MS: "6000",
      WEIR_HEARTBEAT_INTERVAL_MS: "1000",
      // Absent until the kill: only the take-over's restore is held.
      WEIR_TEST_HOLD_RESTORE_FILE: hold,
    };
    return { name, process: startWeir(["run", "integration-tests/apps/count-and-sum.ts"], env, { stateDir: stateDirs.create() }), base: `http://127.0.0.1:${port}` };
  };
  const instances: Instance[] = [];
  for (const name of ["a", "b", "c"].slice(0, count)) instances.push(await start(name));
  const a = instances[0]!;
  const tails = () => instances.map((i) => `--- ${i.name} stderr ends:\n${i.process.stderr().slice(-3000)}`).join("\n");

  const written = payments({ count: 3_000, keys: 200, seed: 23 });
  await writePayments(input, written);
  await readSettled(output, written.length, 120_000);
  const expected = new Map([...amountsByKey(written)].map(([key, amounts]) => [key, { count: amounts.length, sum: amounts.reduce((s, x) => s + x, 0) }]));

  // Each instance runs one task, and every task has a standby on another instance that has applied the whole changelog.
  const views = new Map<string, LocalTasks>();
  await eventually("each instance running one task, and every task a caught-up standby elsewhere", 120_000, async () => {
    for (const i of instances) {
      assert.ok(i.process.running(), `${i.name} exited:\n${tails()}`);
      const view = await localTasks(i);
      if (!view || view.tasks.length !== 1 || view.tasks[0]!.status !== "running") return false;
      views.set(i.name, view);
    }
    const caughtUp = new Set([...views.values()].flatMap((v) => (v.standbys ?? []).filter((s) => s.lag === 0).map((s) => s.id)));
    return caughtUp.size === partitions;
  });
  const moving = views.get("a")!.tasks[0]!.id;
  const keyOfMoving = [...expected.keys()].find((k) => `0_${partitionForKey(Buffer.from(k), partitions)}` === moving)!;
  // The new owner: the instance keeping the moving task's standby (the assignor prefers it). Asked: another one, if any.
  const owner = instances.find((i) => views.get(i.name)!.standbys?.some((s) => s.id === moving))!;
  const asked = instances.find((i) => i !== a && i !== owner) ?? owner;
  const url = (stale: boolean) => `${asked.base}/stores/totals/keys/${keyOfMoving}${stale ? "?stale=true" : ""}`;

  // Before the kill: a fresh answer (forwarded to a), marked not stale when stale reads were allowed.
  const fresh = await get(url(true));
  assert.equal(fresh.status, 200, JSON.stringify(fresh.body));
  assert.deepEqual(fresh.body.value, expected.get(keyOfMoving));
  assert.equal(fresh.headers.get("x-weir-stale"), "false");

  writeFileSync(hold, "");
  a.process.child.kill("SIGKILL");
  await a.process.exited(10_000);
  await eventually(`${owner.name}'s take-over of ${moving} held in its restore`, 60_000, () => {
    for (const i of instances) assert.ok(i === a || i.process.running(), `${i.name} exited:\n${tails()}`);
    return owner.process.logs("restore held (test hook): waiting for the file to be deleted").some((l) => l.task === moving);
  });

  const refused = await get(url(false));
  assert.equal(refused.status, 503, JSON.stringify(refused.body));
  assert.equal(refused.body.code, "WEIR_QUERY_RESTORING");
  assert.equal(refused.headers.get("retry-after"), "1");
  const stale = await get(url(true));
  assert.equal(stale.status, 200, `${JSON.stringify(stale.body)}\n${tails()}`);
  assert.deepEqual(stale.body.value, expected.get(keyOfMoving), "the standby's copy holds the committed totals");
  assert.equal(stale.headers.get("x-weir-stale"), "true");
  assert.match(stale.headers.get("x-weir-stale-lag") ?? "", /^\d+$/);

  // A scan: the other tasks answer fresh, the moving one from the copy; every key has its committed totals.
  assert.equal((await get(`${asked.base}/stores/totals/all?limit=10000`)).status, 503);
  const all = await get(`${asked.base}/stores/totals/all?limit=10000&stale=true`);
  assert.equal(all.status, 200, JSON.stringify(all.body));
  const entries = all.body.entries as { key: string; value: Totals }[];
  assert.equal(entries.length, expected.size);
  for (const e of entries) assert.deepEqual(e.value, expected.get(e.key), e.key);
  assert.equal(all.headers.get("x-weir-stale"), "true");

  // Released: the task runs on its new owner, and answers fresh again.
  rmSync(hold);
  await eventually(`${owner.name} running ${moving}`, 60_000, async () => (await localTasks(owner))?.tasks.some((t) => t.id === moving && t.status === "running") === true);
  const after = await get(url(false));
  assert.equal(after.status, 200, JSON.stringify(after.body));
  assert.deepEqual(after.body.value, expected.get(keyOfMoving));
  assert.equal(after.headers.get("x-weir-stale"), null);

  const survivors = instances.filter((i) => i !== a);
  for (const i of survivors) i.process.child.kill("SIGTERM");
  for (const i of survivors) assert.equal(await i.process.exited(30_000), 0, i.process.stderr().slice(-2000));
}
