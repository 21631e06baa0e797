// Start-up and shutdown of `weir run` against the real broker: a SIGTERM at any point of start-up ends the
// process cleanly and it never joins the group after it; a static member (groupInstanceId) restarted within
// the session timeout gets its tasks back without a rebalance, and commits exactly-once under its instance id.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { kafkaClientNames } from "../src/kafka/index.ts";
import { committedOffsets, partitionOffsets, TopicWriter } from "../src/kafka/tools.ts";
import { connection, eventually, freePort, killAll, readSettled, startWeir, StateDirs, TestTopics, uniqueName, type WeirProcess } from "./helpers/cluster.ts";
import { assignmentsLogged, describeGroup, logIndex, signalOnLog } from "./helpers/lifecycle.ts";
import { paymentRecords, payments } from "./helpers/payments.ts";

const topics = new TestTopics();
const stateDirs = new StateDirs();
after(async () => {
  await killAll();
  await topics.drop();
  stateDirs.removeAll();
});

/** Well under the 30 s shutdownTimeoutMs, whose expiry (exit 1) was the old outcome of a signal during start-up. */
const cleanExitMs = 15_000;

async function countApp(partitions: number, prefix: string): Promise<{ input: string; output: string; applicationId: string }> {
  const input = await topics.create(`${prefix}-payments`, partitions);
  const output = await topics.create(`${prefix}-totals`, partitions);
  const applicationId = uniqueName(prefix);
  topics.adopt(`${applicationId}-totals-changelog`);
  return { input, output, applicationId };
}

async function write(topic: string, records: ReturnType<typeof payments>): Promise<void> {
  const writer = new TopicWriter(connection());
  await writer.connect();
  await writer.write(topic, paymentRecords(records));
  await writer.close();
}

function assertStoppedCleanly(weir: WeirProcess, code: number | string, elapsedMs: number): void {
  assert.equal(code, 0, `a signal during start-up exits 0, got ${code}\n${weir.stderr().slice(-3000)}`);
  assert.ok(elapsedMs < cleanExitMs, `exited ${elapsedMs} ms after the signal`);
  const stopped = weir.logs("app stopped");
  assert.equal(stopped.length, 1);
  assert.equal(stopped[0]!.state, "stopped");
  // The old failure: "app stopped", then the consumer was made anyway and the process joined the group.
  const stopping = logIndex(weir, "app stopping");
  assert.ok(stopping >= 0);
  assert.ok(weir.logs().slice(stopping).every((line) => line.msg !== "joining the group" && line.msg !== "app running"), "nothing of start-up after the stop");
}

for (const [client, point] of kafkaClientNames.flatMap((c) => ["http server listening", "joining the group", "tasks assigned"].map((p) => [c, p] as const))) {
  test(`[${client}] a SIGTERM at "${point}" ends start-up cleanly (exit 0) and the process leaves no member in the group`, { timeout: 120_000 }, async () => {
    const { input, output, applicationId } = await countApp(3, "sigterm-startup");
    await write(input, payments({ count: 300, keys: 30, seed: 3 }));
    const weir = startWeir(["run", "integration-tests/apps/count-and-sum.ts"], {
      COUNT_INPUT_TOPIC: input,
      COUNT_OUTPUT_TOPIC: output,
      WEIR_APPLICATION_ID: applicationId,
      WEIR_KAFKA_CLIENT: client,
    });
    await signalOnLog(weir, point);
    const signalled = Date.now();
    const code = await weir.exited(60_000);
    assertStoppedCleanly(weir, code, Date.now() - signalled);
    // The process is gone; a member it had would show until its session timed out (45 s).
    const group = await describeGroup(applicationId);
    assert.deepEqual(group.members, [], `the group has no member left behind (state ${group.state})`);
  });
}

test("a SIGTERM during the restore of a global table ends start-up cleanly (exit 0) without joining the group", { timeout: 120_000 }, async () => {
  const [orders, customers, products, out] = [await topics.create("orders", 2), await topics.create("customers", 2), await topics.create("products", 2), await topics.create("out", 2)];
  const applicationId = uniqueName("sigterm-global");
  topics.adopt(`${applicationId}-customers-changelog`);
  const writer = new TopicWriter(connection());
  await writer.connect();
  await writer.write(products, Array.from({ length: 20_000 }, (_, i) => ({ key: `p${i}`, value: `product-${i}`.padEnd(200, "."), partition: i % 2 })));
  await writer.close();
  const weir = startWeir(["run", "integration-tests/apps/joins.ts"], {
    JOIN_ORDERS_TOPIC: orders,
    JOIN_CUSTOMERS_TOPIC: customers,
    JOIN_PRODUCTS_TOPIC: products,
    JOIN_CUSTOMER_OUT_TOPIC: out,
    JOIN_PRODUCT_OUT_TOPIC: out,
    WEIR_APPLICATION_ID: applicationId,
  });
  await signalOnLog(weir, "global store restore started");
  const signalled = Date.now();
  const code = await weir.exited(60_000);
  assertStoppedCleanly(weir, code, Date.now() - signalled);
  assert.deepEqual((await describeGroup(applicationId)).members, []);
});

test("a SIGTERM while the broker is unreachable at start-up exits 0 at once; /ready says why it waits", { timeout: 60_000 }, async () => {
  const deadPort = await freePort();
  const httpPort = await freePort();
  const weir = startWeir(["run", "integration-tests/apps/count-and-sum.ts"], {
    COUNT_INPUT_TOPIC: "unused",
    COUNT_OUTPUT_TOPIC: "unused",
    WEIR_APPLICATION_ID: uniqueName("sigterm-no-broker"),
    WEIR_BOOTSTRAP_SERVERS: `127.0.0.1:${deadPort}`,
    WEIR_HTTP_PORT: String(httpPort),
  });
  await eventually("a retry to be logged", 30_000, () => weir.logs().some((l) => typeof l.msg === "string" && l.msg.startsWith("broker unreachable, retrying in")));
  const ready = await fetch(`http://127.0.0.1:${httpPort}/ready`);
  assert.equal(ready.status, 503);
  const body = (await ready.json()) as { status: string; reason: string };
  assert.equal(body.status, "NOT_READY");
  assert.match(body.reason, new RegExp(`^waiting for the Kafka broker at 127\\.0\\.0\\.1:${deadPort} \\(.*ECONNREFUSED\\): retrying until startupTimeoutMs \\(60000 ms\\)$`));
  weir.child.kill("SIGTERM");
  const signalled = Date.now();
  const code = await weir.exited(30_000);
  assertStoppedCleanly(weir, code, Date.now() - signalled);
  assert.ok(Date.now() - signalled < 5_000, "the broker wait ends at the signal, not at its next retry");
});

test("groupInstanceId with the kafkajs client is refused at start (exit 2) naming the setting", { timeout: 60_000 }, async () => {
  const weir = startWeir(["run", "integration-tests/apps/count-and-sum.ts"], {
    COUNT_INPUT_TOPIC: "unused",
    COUNT_OUTPUT_TOPIC: "unused",
    WEIR_APPLICATION_ID: uniqueName("static-kafkajs"),
    WEIR_KAFKA_CLIENT: "kafkajs",
    WEIR_GROUP_INSTANCE_ID: "instance-a",
  });
  assert.equal(await weir.exited(30_000), 2);
  assert.match(weir.stderr(), /WEIR_CONFIG_INVALID: groupInstanceId: static membership needs kafkaClient "platformatic"/);
});

test("a static member restarted within the session timeout gets its tasks back with no rebalance, and commits exactly-once", { timeout: 300_000 }, async () => {
  const { input, output, applicationId } = await countApp(4, "static-restart");
  const all = payments({ count: 4_000, keys: 200, seed: 11 });
  const first = all.slice(0, 2_000);
  await write(input, first);
  // A static member's address must not change across restarts: no rebalance tells the group a new one.
  const [portA, portB] = [await freePort(), await freePort()];
  const [dirA, dirB] = [stateDirs.create(), stateDirs.create()];
  const env = (instance: string, port: number) => ({
    COUNT_INPUT_TOPIC: input,
    COUNT_OUTPUT_TOPIC: output,
    WEIR_APPLICATION_ID: applicationId,
    WEIR_GROUP_INSTANCE_ID: `${applicationId}-${instance}`,
    WEIR_HTTP_PORT: String(port),
    WEIR_SESSION_TIMEOUT_MS: "30000",
  });
  const a = startWeir(["run", "integration-tests/apps/count-and-sum.ts"], env("a", portA), { stateDir: dirA });
  await eventually("a to run", 60_000, () => a.logs("app running").length > 0);
  const b = startWeir(["run", "integration-tests/apps/count-and-sum.ts"], env("b", portB), { stateDir: dirB });
  await eventually("the group to settle with two members, each with tasks", 90_000, async () => {
    const [lastA, lastB] = [assignmentsLogged(a).at(-1) ?? [], assignmentsLogged(b).at(-1) ?? []];
    return lastA.length > 0 && lastB.length > 0 && lastA.length + lastB.length === 4 && (await describeGroup(applicationId)).state === "Stable";
  });
  assert.equal((await readSettled(output, first.length, 120_000)).length, first.length, "every record before the restart is processed once");
  const tasksOfA = assignmentsLogged(a).at(-1)!;
  const assignmentsOfB = assignmentsLogged(b).length;

  a.child.kill("SIGTERM");
  assert.equal(await a.exited(30_000), 0);
  const restarted = startWeir(["run", "integration-tests/apps/count-and-sum.ts"], env("a", portA), { stateDir: dirA });
  await eventually("the restarted a to run", 60_000, () => restarted.logs("app running").length > 0);
  assert.deepEqual(assignmentsLogged(restarted), [tasksOfA], "the restarted member got its own tasks back, in one assignment");

  await write(input, all.slice(first.length));
  const settled = await readSettled(output, all.length, 120_000);
  assert.equal(settled.length, all.length, "every record is processed exactly once across the restart");
  // The restarted static member's offsets were committed in its transactions (TxnOffsetCommit under its instance id).
  const ends = await partitionOffsets(connection(), input);
  await eventually("the group's committed offsets to reach the input's end", 30_000, async () => {
    const committed = await committedOffsets(connection(), applicationId, input);
    return [...ends].every(([partition, { high }]) => committed.get(partition) === high);
  });
  assert.equal(assignmentsLogged(b).length, assignmentsOfB, "the other member saw no rebalance");
  assert.ok(b.running() && restarted.running());
  for (const weir of [restarted, b]) {
    assert.deepEqual(weir.logs("commit refused: the group's generation moved on; the task's uncommitted work is dropped"), []);
  }
  restarted.child.kill("SIGTERM");
  b.child.kill("SIGTERM");
  assert.equal(await restarted.exited(30_000), 0);
  assert.equal(await b.exited(30_000), 0);
});
