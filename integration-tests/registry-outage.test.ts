// A schema registry outage mid-stream: the registry process (a private instance, file-backed so its schemas
// survive) is stopped by PID while records written with a schema the app has not cached keep arriving. The
// tasks wait (no record skipped, no crash, no rebalance: the wait heartbeats) and resume when it is back.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { readTopic, TopicWriter } from "../src/kafka/tools.ts";
import { connection, eventually, killAll, readSettled, startWeir, TestTopics, uniqueName } from "./helpers/cluster.ts";
import { PrivateRegistry } from "./helpers/registry.ts";
import { encode, paymentSerdes, type Payment } from "./helpers/registry-schemas.ts";

const topics = new TestTopics();
let registry: PrivateRegistry | undefined;
after(async () => {
  await killAll();
  await topics.drop();
  await registry?.dispose();
});

const app = "integration-tests/apps/registry-payments.ts";

test("while the registry is down for 20 s the tasks wait for it, then resume: no record skipped, none twice", { timeout: 300_000 }, async (t) => {
  registry = await PrivateRegistry.start();
  const input = await topics.create("outage-in", 2);
  const output = await topics.create("outage-out", 2);
  const v1 = paymentSerdes("avro", "v1", registry.url);
  const v2 = paymentSerdes("avro", "v2", registry.url);
  // Both value schemas registered now; the app sees v2's id only once the registry is down.
  await encode(v1.value, { id: "x", amount: 0 }, input);
  await encode(v2.value, { id: "x", amount: 0, currency: "EUR" }, input);
  await encode(v1.key, { id: "x" }, input);
  await encode(v2.key, { id: "x" }, input);

  const writer = new TopicWriter(connection());
  await writer.connect();
  t.after(() => writer.close());
  const write = async (from: number, n: number, serdes: typeof v1, extra: Partial<Payment>) => {
    const records = [];
    for (let i = from; i < from + n; i++) {
      records.push({ key: serdes.key.serialize({ id: `p-${i}` }, input), value: serdes.value.serialize({ id: `p-${i}`, amount: i, ...extra }, input) });
    }
    await writer.write(input, records);
  };

  await write(0, 2_000, v1, {});
  const weir = startWeir(["run", app], {
    SCHEMA_REGISTRY_URL: registry.url,
    REG_FORMAT: "avro",
    REG_INPUT_TOPIC: input,
    REG_OUTPUT_TOPIC: output,
    REG_READER: "v1",
    WEIR_APPLICATION_ID: uniqueName("outage"),
    // Shorter than the outage: only heartbeats during the wait keep the member in the group.
    WEIR_SESSION_TIMEOUT_MS: "10000",
    WEIR_HEARTBEAT_INTERVAL_MS: "1000",
  });
  const stderr = () => weir.stderr().slice(-4000);
  assert.equal((await readSettled(output, 2_000, 90_000, 2000)).length, 2_000, `the records before the outage are processed; ${stderr()}`);

  await registry.kill();
  const outageStarted = Date.now();
  // Records keep arriving, written with v2, whose id the app has never fetched.
  for (let chunk = 0; chunk < 10; chunk++) {
    await write(2_000 + chunk * 200, 200, v2, { currency: "USD" });
    await new Promise((r) => setTimeout(r, 1500));
  }
  await eventually("the app to log that it waits for the registry", 30_000, () => weir.logs("schema registry unreachable: the task waits for it (no record is skipped), retrying with backoff").length > 0);
  const url = `http://127.0.0.1:${String(weir.logs("http server listening")[0]!.port)}`;
  const metrics = await (await fetch(`${url}/metrics`)).text();
  assert.match(metrics, /weir_schema_registry_waiting_tasks\{application="[^"]+"\} [12]\b/, "the metric shows the waiting tasks");
  assert.ok(weir.running(), `the app is still running; ${stderr()}`);
  const during = await readTopic(connection(), output, { timeoutMs: 2000 });
  assert.equal(during.length, 2_000, "nothing written with the unknown schema was processed (or skipped) during the outage");
  const left = 20_000 - (Date.now() - outageStarted);
  if (left > 0) await new Promise((r) => setTimeout(r, left));

  await registry.restart();
  const settled = await readSettled(output, 4_000, 120_000, 3000);
  const ids = settled.map((r) => r.key!.subarray(5).toString("latin1"));
  assert.equal(settled.length, 4_000, `every record once after the registry came back; ${stderr()}`);
  assert.equal(new Set(ids).size, 4_000, "no duplicates");
  assert.ok(weir.logs("schema registry answers again: the task resumes").length > 0, "the app logs that it resumes");
  assert.equal(weir.logs("tasks assigned").length, 1, "no rebalance: the waiting member kept its partitions");
  assert.equal(weir.logs("record skipped (logAndContinue)").length + weir.logs("record sent to the dead-letter topic").length, 0);
  weir.child.kill("SIGTERM");
  assert.equal(await weir.exited(30_000), 0, `SIGTERM stops the app cleanly; ${stderr()}`);
});
