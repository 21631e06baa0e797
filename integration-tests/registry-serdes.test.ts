// Schema-registry serdes through `weir run` against the real broker and registry: Avro, JSON Schema and
// Protobuf keys and values round-trip; Avro reader and writer schemas evolve in both directions; a sink
// whose schema the registry refuses as incompatible stops the app with the registry's message.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { TopicWriter } from "../src/kafka/tools.ts";
import { killAll, readSettled, schemaRegistryUrl, startWeir, TestTopics, uniqueName } from "./helpers/cluster.ts";
import { setCompatibility } from "./helpers/registry.ts";
import { decode, encode, paymentSerdes, type AvroVersion, type Format, type Payment } from "./helpers/registry-schemas.ts";
import { connection } from "./helpers/cluster.ts";

const topics = new TestTopics();
after(async () => {
  await killAll();
  await topics.drop();
});

const app = "integration-tests/apps/registry-payments.ts";
const count = 300;

/** Writes `count` payments to `topic` with the format's serdes (registering their schemas under the topic's subjects). */
async function writePayments(topic: string, format: Format, version: AvroVersion, make: (i: number) => Payment): Promise<void> {
  const { key, value } = paymentSerdes(format, version, schemaRegistryUrl());
  const records = [];
  for (let i = 0; i < count; i++) {
    const payment = make(i);
    records.push({ key: await encode(key, { id: payment.id }, topic), value: await encode(value, payment, topic) });
  }
  const writer = new TopicWriter(connection());
  await writer.connect();
  try {
    await writer.write(topic, records);
  } finally {
    await writer.close();
  }
}

/** Runs the app over what the input holds (bounded mode) and returns the decoded output, ordered by id. */
async function runApp(format: Format, env: Record<string, string>, input: string, output: string, reader: AvroVersion): Promise<{ key: string; value: Payment }[]> {
  const applicationId = uniqueName(`registry-${format}`);
  const weir = startWeir(["run", app, "--until-end"], { REG_FORMAT: format, REG_INPUT_TOPIC: input, REG_OUTPUT_TOPIC: output, WEIR_APPLICATION_ID: applicationId, ...env });
  assert.equal(await weir.exited(120_000), 0, `weir run exits 0; stderr ends:\n${weir.stderr().slice(-4000)}`);
  const records = await readSettled(output, count, 30_000);
  // A fresh client: nothing cached, so every writer schema is fetched from the registry by its id.
  const { key, value } = paymentSerdes(format, reader, schemaRegistryUrl());
  const decoded = [];
  for (const r of records) {
    assert.ok(r.key && r.value, "keys and values are set");
    assert.equal(r.value[0], 0, "Confluent wire format: magic byte 0");
    decoded.push({ key: (await decode(key, r.key, output)).id, value: { ...(await decode(value, r.value, output)) } });
  }
  return decoded.sort((a, b) => a.key.localeCompare(b.key, "en", { numeric: true }));
}

for (const format of ["avro", "jsonSchema", "protobuf"] as const) {
  test(`${format} keys and values round-trip through weir run`, { timeout: 180_000 }, async () => {
    const input = await topics.create(`reg-${format}-in`, 2);
    const output = await topics.create(`reg-${format}-out`, 2);
    await writePayments(input, format, "v1", (i) => ({ id: `p-${i}`, amount: i + 0.5 }));
    const out = await runApp(format, {}, input, output, "v1");
    assert.equal(out.length, count, "one output per input");
    out.forEach((r, i) => {
      assert.equal(r.key, `p-${i}`);
      assert.deepEqual(r.value, { id: `p-${i}`, amount: (i + 0.5) * 2 });
    });
  });
}

test("a producer on Avro v2 (a new defaulted field) is read by an app on v1", { timeout: 180_000 }, async () => {
  const input = await topics.create("reg-evolve-new-in", 2);
  const output = await topics.create("reg-evolve-new-out", 2);
  await setCompatibility(`${input}-value`, "BACKWARD");
  await writePayments(input, "avro", "v1", (i) => ({ id: `p-${i}`, amount: i }));
  await writePayments(input, "avro", "v2", (i) => ({ id: `q-${i}`, amount: i, currency: "USD" }));
  // The app reads and writes v1: the field it does not know is dropped.
  const out = await runApp("avro", { REG_READER: "v1" }, input, output, "v1");
  assert.equal(out.length, 2 * count);
  for (const r of out) assert.deepEqual(Object.keys(r.value).sort(), ["amount", "id"]);
  assert.deepEqual(out.find((r) => r.key === "q-7")?.value, { id: "q-7", amount: 14 });
});

test("an app on Avro v2 reads what a producer on v1 wrote, filling the new field's default", { timeout: 180_000 }, async () => {
  const input = await topics.create("reg-evolve-old-in", 2);
  const output = await topics.create("reg-evolve-old-out", 2);
  await setCompatibility(`${input}-value`, "BACKWARD");
  await writePayments(input, "avro", "v1", (i) => ({ id: `p-${i}`, amount: i }));
  const out = await runApp("avro", { REG_READER: "v2" }, input, output, "v2");
  assert.equal(out.length, count);
  assert.deepEqual(out[5]!.value, { id: "p-5", amount: 10, currency: "EUR" });
});

test("a sink schema the registry refuses as incompatible stops the app with the registry's message", { timeout: 120_000 }, async () => {
  const input = await topics.create("reg-incompatible-in", 1);
  const output = await topics.create("reg-incompatible-out", 1);
  await writePayments(input, "avro", "v1", (i) => ({ id: `p-${i}`, amount: i }));
  // The output subject holds v1 under BACKWARD (registered by encoding one value, which is not written);
  // the app writes with a schema whose `amount` is a string.
  await encode(paymentSerdes("avro", "v1", schemaRegistryUrl()).value, { id: "x", amount: 1 }, output);
  await setCompatibility(`${output}-value`, "BACKWARD");
  const weir = startWeir(["run", app], {
    REG_FORMAT: "avro",
    REG_INPUT_TOPIC: input,
    REG_OUTPUT_TOPIC: output,
    REG_READER: "v1",
    REG_WRITER: "incompatible",
    WEIR_APPLICATION_ID: uniqueName("registry-incompatible"),
  });
  assert.equal(await weir.exited(60_000), 1, `the app fails; stderr ends:\n${weir.stderr().slice(-3000)}`);
  // Apicurio's own words for a rule violation, with the subject.
  assert.match(weir.stderr(), new RegExp(`schema registry refused registering a schema under subject ${output}-value: .*Incompatible artifact`));
  assert.equal((await readSettled(output, 1, 3000, 1000)).length, 0, "nothing was produced");
});
