// Never alive without its consumer: the broker is restarted (same address, same data) under a running app.
// Afterwards the app must either process what is written after the restart (its consumer came back) or have
// exited non-zero (it gave up on its consumer, for a supervisor to restart it), never stay up processing
// nothing. Run on each client.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { kafkaClientNames } from "../src/kafka/index.ts";
import { readTopic, TopicWriter } from "../src/kafka/tools.ts";
import { connection, eventually, killAll, root, startWeir, StateDirs, TestTopics, uniqueName } from "./helpers/cluster.ts";
import { paymentRecords, payments } from "./helpers/payments.ts";

const topics = new TestTopics();
const stateDirs = new StateDirs();
after(async () => {
  await killAll();
  await topics.drop();
  stateDirs.removeAll();
});

const before = 2_000;
const afterRestart = 2_000;
/** From the broker's return: long enough for a client's own retries, and for a failing app to exit. */
const verdictMs = 180_000;

for (const client of kafkaClientNames) {
  test(`[${client}] after a broker restart the app processes new records or exits non-zero, never idles alive`, { timeout: 420_000 }, async () => {
    const input = await topics.create("restart-payments", 3);
    const output = await topics.create("restart-totals", 3);
    const applicationId = uniqueName(`broker-restart-${client}`);
    topics.adopt(`${applicationId}-totals-changelog`);
    const all = payments({ count: before + afterRestart, keys: 100, seed: 7 });
    const writer = new TopicWriter(connection());
    await writer.connect();
    await writer.write(input, paymentRecords(all.slice(0, before)));
    await writer.close();

    const app = startWeir(["run", "integration-tests/apps/count-and-sum.ts"], {
      COUNT_INPUT_TOPIC: input,
      COUNT_OUTPUT_TOPIC: output,
      WEIR_APPLICATION_ID: applicationId,
      WEIR_KAFKA_CLIENT: client,
    }, { stateDir: stateDirs.create() });
    const first = await readTopic(connection(), output, { count: before, timeoutMs: 120_000 });
    assert.equal(first.length, before, "every record before the restart is processed");

    const { stdout } = await promisify(execFile)(join(root, "scripts/kafka.sh"), ["restart"], { timeout: 180_000 });
    assert.equal(stdout.trim(), connection().brokers[0], "the broker is back on its address");

    const again = new TopicWriter(connection());
    await again.connect();
    await again.write(input, paymentRecords(all.slice(before)));
    await again.close();

    let processedAll = false;
    await eventually("the app to process the records written after the restart, or to exit", verdictMs, async () => {
      if (!app.running()) return true;
      const read = await readTopic(connection(), output, { count: before + afterRestart, timeoutMs: 5_000 });
      processedAll = read.length >= before + afterRestart;
      return processedAll;
    });
    if (processedAll) {
      console.log(`broker restart [${client}]: the app's consumer came back and processed the ${afterRestart} new records`);
      assert.ok(app.running());
      return;
    }
    const code = await app.exited(30_000);
    console.log(`broker restart [${client}]: the app gave up on its consumer and exited with ${code}`);
    assert.notEqual(code, 0, `an app that lost its consumer exits non-zero, got ${code}\n${app.stderr().slice(-3000)}`);
  });
}
