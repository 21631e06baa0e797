// A member that leaves the group without ending its transaction is fenced by a remaining member once the new
// assignment is known (src/runtime/departed-transactions.ts; docs/architecture.md, "Exactly-once, per client"):
// InitProducerId for its transactional id aborts what it left open, so its tasks' new owner need not wait for the
// transaction timeout. Shown with a frozen instance (SIGSTOP) rather than a killed one: once its session expires,
// the other instance fences it; thawed (SIGCONT), the zombie finds its producer fenced and its tasks gone,
// rejoins under a new member id, reopens its tasks from their changelogs (not from its stale state), and the
// output still counts every payment exactly once.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { TopicWriter } from "../src/kafka/tools.ts";
import { connection, eventually, killAll, readSettled, startWeir, StateDirs, TestTopics, uniqueName, type WeirProcess } from "./helpers/cluster.ts";
import { amountsByKey, paymentRecords, payments } from "./helpers/payments.ts";
import { describeTransaction } from "./helpers/transactions.ts";
import { describeReport, verifyCounts } from "./helpers/verify-counts.ts";

const topics = new TestTopics();
const stateDirs = new StateDirs();
after(async () => {
  await killAll();
  await topics.drop();
  stateDirs.removeAll();
});

function transactionalIdOf(weir: WeirProcess): string {
  const id = weir.logs("joining the group")[0]?.transactionalId;
  assert.equal(typeof id, "string", `the instance logged no transactional id when joining:\n${weir.stderr().slice(-3000)}`);
  return id as string;
}

test("[platformatic] an instance whose session expired is fenced by the group; the thawed zombie rejoins and every payment is counted once", { timeout: 240_000 }, async () => {
  const input = await topics.create("departed-payments", 4);
  const output = await topics.create("departed-totals", 4);
  const applicationId = uniqueName("departed-transactions");
  topics.adopt(`${applicationId}-totals-changelog`);
  const all = payments({ count: 40_000, keys: 1_000, seed: 4711 });
  const writer = new TopicWriter(connection());
  await writer.connect();
  try {
    await writer.write(input, paymentRecords(all.slice(0, 20_000)));
    const env = {
      COUNT_INPUT_TOPIC: input,
      COUNT_OUTPUT_TOPIC: output,
      WEIR_APPLICATION_ID: applicationId,
      WEIR_KAFKA_CLIENT: "platformatic",
      WEIR_PROCESSING_GUARANTEE: "exactly_once",
      WEIR_SESSION_TIMEOUT_MS: "6000",
      WEIR_HEARTBEAT_INTERVAL_MS: "1000",
    };
    const a = startWeir(["run", "integration-tests/apps/count-and-sum.ts"], env, { stateDir: stateDirs.create() });
    await eventually("A running its tasks", 60_000, () => a.logs("task running").length === 4);
    const b = startWeir(["run", "integration-tests/apps/count-and-sum.ts"], env, { stateDir: stateDirs.create() });
    await eventually("B running its share of the tasks", 60_000, () => b.logs("task running").length > 0);
    const aId = transactionalIdOf(a);
    assert.notEqual(transactionalIdOf(b), aId, "each run has its own transactional id");

    const assignmentsBefore = a.logs("tasks assigned").length;
    a.child.kill("SIGSTOP");
    try {
      await eventually("B, alone once A's session expired, fencing A's transactional id", 60_000, () =>
        b.logs("fenced the producer of an instance that left the group (its open transaction, if any, is aborted)").some((l) => l.transactionalId === aId),
      );
      assert.notEqual(describeTransaction(aId).TransactionState, "Ongoing", "nothing A began is left open");
      await eventually("B running all four tasks", 60_000, () => b.logs("task running").length >= 4);
      await writer.write(input, paymentRecords(all.slice(20_000, 30_000)));
    } finally {
      a.child.kill("SIGCONT");
    }
    await eventually("the thawed A back in the group with tasks", 90_000, () => {
      assert.ok(a.running(), `A exited after it was thawed:\n${a.stderr().slice(-3000)}`);
      return a.logs("tasks assigned").length > assignmentsBefore;
    });
    await writer.write(input, paymentRecords(all.slice(30_000)));
    const settled = await readSettled(output, all.length, 120_000, 5000);
    const report = verifyCounts(amountsByKey(all), settled, "input");
    assert.ok(report.ok, describeReport(report));
    for (const weir of [a, b]) {
      weir.child.kill("SIGTERM");
      assert.equal(await weir.exited(60_000), 0, weir.stderr().slice(-3000));
    }
  } finally {
    await writer.close();
  }
});

test("[platformatic] the only instance, SIGKILLed and restarted before its session expired, fences its predecessor's transactional id", { timeout: 180_000 }, async () => {
  const input = await topics.create("restarted-payments", 2);
  const output = await topics.create("restarted-totals", 2);
  const applicationId = uniqueName("departed-restart");
  topics.adopt(`${applicationId}-totals-changelog`);
  const all = payments({ count: 20_000, keys: 500, seed: 4712 });
  const writer = new TopicWriter(connection());
  await writer.connect();
  try {
    await writer.write(input, paymentRecords(all.slice(0, 10_000)));
    const env = {
      COUNT_INPUT_TOPIC: input,
      COUNT_OUTPUT_TOPIC: output,
      WEIR_APPLICATION_ID: applicationId,
      WEIR_KAFKA_CLIENT: "platformatic",
      WEIR_SESSION_TIMEOUT_MS: "6000",
      WEIR_HEARTBEAT_INTERVAL_MS: "1000",
    };
    const stateDir = stateDirs.create();
    const first = startWeir(["run", "integration-tests/apps/count-and-sum.ts"], env, { stateDir });
    await eventually("the first instance running both tasks", 60_000, () => first.logs("task running").length === 2);
    const firstId = transactionalIdOf(first);
    first.child.kill("SIGKILL");
    await first.exited(10_000);
    // At once, within the 6 s session: the group still lists the killed member, and the map its id.
    const second = startWeir(["run", "integration-tests/apps/count-and-sum.ts"], env, { stateDir });
    await eventually("the restarted instance fencing its predecessor's transactional id", 60_000, () =>
      second.logs("fenced the producer of an instance that left the group (its open transaction, if any, is aborted)").some((l) => l.transactionalId === firstId),
    );
    await writer.write(input, paymentRecords(all.slice(10_000)));
    const report = verifyCounts(amountsByKey(all), await readSettled(output, all.length, 90_000, 5000), "input");
    assert.ok(report.ok, describeReport(report));
    second.child.kill("SIGTERM");
    assert.equal(await second.exited(60_000), 0, second.stderr().slice(-3000));
  } finally {
    await writer.close();
  }
});
