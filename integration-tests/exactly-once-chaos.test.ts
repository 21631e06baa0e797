// The exactly-once acceptance test: 200,000 payments over 5,000 keys through three count-and-sum instances
// while instances are SIGKILLed at random and replaced; per key, each input record's effect must appear in
// the committed output exactly once (counts 1, 2, 3 … with the running sums, no gap, no repeat).
import { after, test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { kafkaClientNames, type KafkaClientName } from "../src/kafka/index.ts";
import { tailTopics, TopicWriter } from "../src/kafka/tools.ts";
import { SeededRandom } from "../topologies/lib/random.ts";
import { killRandomly, InstancePool, type Kill } from "./helpers/chaos.ts";
import { connection, eventually, killAll, readSettled, restoresLogged, startWeir, StateDirs, TestTopics, uniqueName } from "./helpers/cluster.ts";
import { amountsByKey, paymentRecords, payments } from "./helpers/payments.ts";
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

const records = 200_000;
const keys = 5_000;
const partitions = 6;
const instances = 3;
const kills = 10;
/** Written before the instances start; the rest goes in one slice before each kill's wait, so every kill lands on work. */
const upFront = 100_000;
const dataSeed = 20_240_601;
const chaosSeed = 77;
/** From the instances' start until the output must be complete. */
const completionDeadlineMs = 200_000;

/** Both clients by default; WEIR_TEST_KAFKA_CLIENTS=platformatic (comma-separated) runs fewer, e.g. in a loop. */
const clients = (process.env.WEIR_TEST_KAFKA_CLIENTS ?? kafkaClientNames.join(",")).split(",").filter((c): c is KafkaClientName => (kafkaClientNames as readonly string[]).includes(c));

for (const client of clients) {
  test(`[${client}] under 10 random SIGKILLs of 3 instances, each of 200,000 payments is counted and summed exactly once`, { timeout: 300_000 }, (t) => chaos(t, 1, client));

  // Each task reads one partition of each of two co-partitioned topics, taken in timestamp order through its
  // record queues: the same verdict, except that a key's running sums may follow another order than written.
  test(`[${client}] the same with the payments spread over two co-partitioned input topics (multi-input tasks)`, { timeout: 300_000 }, (t) => chaos(t, 2, client));
}

// Standby replicas (docs/architecture.md, "Standby replicas"): a killed instance's tasks move to the instances
// keeping their standbys, which promote them on the same files; the verdict is the same.
if (clients.includes("platformatic")) {
  test("[platformatic] the same with numStandbyReplicas: 1", { timeout: 300_000 }, (t) => chaos(t, 1, "platformatic", 1));
}

async function chaos(t: TestContext, inputTopics: 1 | 2, client: KafkaClientName, standbyReplicas = 0): Promise<void> {
  const testStart = Date.now();
  const inputs: string[] = [];
  for (let i = 0; i < inputTopics; i++) inputs.push(await topics.create(`payments-${i}`, partitions));
  const output = await topics.create("payment-totals", partitions);
  const applicationId = uniqueName("count-and-sum-chaos");
  topics.adopt(`${applicationId}-totals-changelog`);

  const all = payments({ count: records, keys, seed: dataSeed });
  const expected = amountsByKey(all);
  const slice = (records - upFront) / kills;

  const writer = new TopicWriter(connection());
  await writer.connect();
  try {
    const write = async (from: number, to: number) => {
      const records = paymentRecords(all.slice(from, to));
      // Record i goes to input topic i mod n: a key's records are spread over the topics, in one partition number.
      for (let i = 0; i < inputs.length; i++) await writer.write(inputs[i]!, records.filter((_, j) => (from + j) % inputs.length === i));
    };
    await write(0, upFront);
    let written = upFront;

    // A progress meter only (what was committed when each kill landed); the verdict reads the whole topic.
    let committedOutputs = 0;
    stopTail = await tailTopics(connection(), [output], () => {
      committedOutputs += 1;
    });

    // Each slot keeps its state dir: a replacement starts on the files its killed predecessor left.
    const dirs = Array.from({ length: instances }, () => stateDirs.create());
    const env = {
      COUNT_INPUT_TOPIC: inputs.join(","),
      COUNT_OUTPUT_TOPIC: output,
      WEIR_APPLICATION_ID: applicationId,
      WEIR_KAFKA_CLIENT: client,
      // A killed member holds its partitions until its session expires: 6 s (the broker's minimum) instead of 45 s.
      WEIR_SESSION_TIMEOUT_MS: "6000",
      WEIR_HEARTBEAT_INTERVAL_MS: "1000",
      ...(standbyReplicas > 0 ? { WEIR_NUM_STANDBY_REPLICAS: String(standbyReplicas) } : {}),
    };
    const appStart = Date.now();
    const pool = new InstancePool(instances, (slot) =>
      startWeir(["run", "integration-tests/apps/count-and-sum.ts"], env, { stateDir: dirs[slot] }),
    );
    const failure = (what: string) => `${what}\n${pool.stderrTails()}`;

    // Kills start once output flows: a kill before the first commit would test startup only.
    try {
      await eventually("the first committed output record", 90_000, () => {
        pool.assertAllRunning();
        return committedOutputs > 0;
      });
    } catch (err) {
      assert.fail(failure(err instanceof Error ? err.message : String(err)));
    }

    const random = new SeededRandom(chaosSeed);
    const done: Kill[] = await killRandomly(pool, {
      kills,
      minDelayMs: 1000,
      maxDelayMs: 4000,
      random: () => random.next(),
      beforeWait: async (n) => {
        const from = upFront + (n - 1) * slice;
        await write(from, from + slice);
        written = from + slice;
      },
      onKill: (k) =>
        console.log(
          `chaos: kill ${k.n} at ${(k.atMs / 1000).toFixed(1)} s: slot ${k.slot} pid ${k.killedPid} → pid ${k.replacementPid}; ` +
            `${committedOutputs} of ${written} written records' outputs committed so far`,
        ),
    });
    assert.equal(written, records);
    assert.equal(done.length, kills);
    const outputsAtLastKill = committedOutputs;
    await stopTail();
    stopTail = undefined;

    // Complete = every key's last count equals its input records; since every update is emitted, that is
    // exactly `records` output records. readSettled then re-reads after 5 s of quiet to catch late duplicates.
    const remaining = Math.max(10_000, appStart + completionDeadlineMs - Date.now());
    const settled = await readSettled(output, records, remaining, 5000);
    const completeAfterMs = Date.now() - appStart;
    const report = verifyCounts(expected, settled, inputTopics === 1 ? "input" : "any");

    let restores = "";
    try {
      const lines = pool.started.flatMap((p) => restoresLogged(p));
      const rebuilt = lines.filter((l) => l.rebuilt).length;
      const replayed = lines.reduce((n, l) => n + l.restored, 0);
      restores = `${lines.length} task restores (${rebuilt} rebuilt from the changelog's beginning), ${replayed} changelog records replayed in all`;
    } catch (err) {
      restores = `restore log lines unreadable: ${err instanceof Error ? err.message : String(err)}`;
    }
    const summary = [
      `${records} records over ${keys} keys in ${inputTopics} input topic(s) of ${partitions} partitions (${upFront} before the start, ${kills} slices of ${slice} before each kill's wait)`,
      `${instances} instances, ${done.length} SIGKILLs (each replaced on the killed one's state dir), ${pool.started.length} processes started`,
      `${outputsAtLastKill} outputs committed at the last kill; the output read back ${(completeAfterMs / 1000).toFixed(1)} s after the instances started; test ${((Date.now() - testStart) / 1000).toFixed(1)} s so far`,
      restores,
      describeReport(report),
    ];
    for (const line of summary) t.diagnostic(line);
    console.log(`chaos [${client}]: ${summary.join(`\nchaos [${client}]: `)}`);

    // Not deepEqual: a diff of thousands of violations would bury the first offending key.
    assert.ok(report.violations.length === 0, failure(`wrong output:\n${describeReport(report)}`));
    assert.ok(report.complete, failure(`output incomplete ${(completionDeadlineMs / 1000).toFixed(0)} s after the start:\n${describeReport(report)}`));
    assert.equal(report.outputRecords, records, "one output record per input record");
    pool.assertAllRunning();

    const exits = await pool.stopAll("SIGTERM", 30_000);
    assert.deepEqual(exits, [0, 0, 0], failure("SIGTERM stops each instance cleanly"));
  } finally {
    // A failed run's tail must not outlive it (the next run's topics replace these).
    await stopTail?.();
    stopTail = undefined;
    await writer.close();
  }
}
