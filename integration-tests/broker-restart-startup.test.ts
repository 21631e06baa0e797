// Start-up without a broker: an instance started while the broker is down waits for it (retrying with backoff,
// logged) and processes once it is back; one whose startupTimeoutMs passes first fails with
// WEIR_BROKER_UNREACHABLE naming the bootstrap servers. Restarts the shared broker: runs alone
// (scripts/integration-tests.sh).
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { join } from "node:path";
import { readTopic, TopicWriter } from "../src/kafka/tools.ts";
import { connection, freePort, killAll, root, startWeir, TestTopics, uniqueName } from "./helpers/cluster.ts";
import { paymentRecords, payments } from "./helpers/payments.ts";

const topics = new TestTopics();
after(async () => {
  await killAll();
  await topics.drop();
});

const downForSeconds = 8;

/** `kafka.sh restart --down-for S`; `down` resolves once the broker is stopped, `back` with the script's exit code. */
function restartBroker(seconds: number): { down: Promise<void>; back: Promise<number | null> } {
  const child = spawn(join(root, "scripts/kafka.sh"), ["restart", "--down-for", String(seconds)], { stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  const down = new Promise<void>((resolve, reject) => {
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
      if (stderr.includes("broker stopped; starting it again in")) resolve();
    });
    child.once("exit", () => reject(new Error(`kafka.sh restart ended before the broker was down:\n${stderr}`)));
  });
  const back = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return { down, back };
}

test("an instance started while the broker is down waits for it, then processes once it is back", { timeout: 300_000 }, async () => {
  const input = await topics.create("startup-no-broker-payments", 2);
  const output = await topics.create("startup-no-broker-totals", 2);
  const applicationId = uniqueName("startup-no-broker");
  topics.adopt(`${applicationId}-totals-changelog`);
  const records = payments({ count: 500, keys: 50, seed: 5 });
  const writer = new TopicWriter(connection());
  await writer.connect();
  await writer.write(input, paymentRecords(records));
  await writer.close();

  const restart = restartBroker(downForSeconds);
  await restart.down;
  const weir = startWeir(["run", "integration-tests/apps/count-and-sum.ts"], { COUNT_INPUT_TOPIC: input, COUNT_OUTPUT_TOPIC: output, WEIR_APPLICATION_ID: applicationId });
  assert.equal(await restart.back, 0, "the broker is back on its address");
  const processed = await readTopic(connection(), output, { count: records.length, timeoutMs: 120_000 });
  assert.equal(processed.length, records.length, `every record is processed once the broker is back\n${weir.stderr().slice(-3000)}`);
  const retries = weir.logs().filter((line) => typeof line.msg === "string" && line.msg.startsWith("broker unreachable, retrying in"));
  assert.ok(retries.length > 0, "the wait for the broker was logged");
  assert.ok(weir.logs("app running").length === 1);
  weir.child.kill("SIGTERM");
  assert.equal(await weir.exited(30_000), 0);
});

test("a broker still unreachable at startupTimeoutMs fails start-up with WEIR_BROKER_UNREACHABLE naming the bootstrap servers", { timeout: 60_000 }, async () => {
  const deadPort = await freePort();
  const started = Date.now();
  const weir = startWeir(["run", "integration-tests/apps/count-and-sum.ts"], {
    COUNT_INPUT_TOPIC: "unused",
    COUNT_OUTPUT_TOPIC: "unused",
    WEIR_APPLICATION_ID: uniqueName("startup-timeout"),
    WEIR_BOOTSTRAP_SERVERS: `127.0.0.1:${deadPort}`,
    WEIR_STARTUP_TIMEOUT_MS: "3000",
  });
  assert.equal(await weir.exited(30_000), 1);
  assert.ok(Date.now() - started >= 3_000, "start-up retried until startupTimeoutMs");
  assert.match(weir.stderr(), new RegExp(`weir: WEIR_BROKER_UNREACHABLE: no Kafka broker at 127\\.0\\.0\\.1:${deadPort} \\(.*ECONNREFUSED\\), retried with backoff for startupTimeoutMs \\(3000 ms\\)`));
  const retries = weir.logs().filter((line) => typeof line.msg === "string" && line.msg.startsWith("broker unreachable, retrying in"));
  assert.ok(retries.length >= 2, `each retry is logged, got ${retries.length}`);
});
