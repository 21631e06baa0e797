// Poison records against the real broker and registry: Avro payments with undecodable records (garbage, and
// the wire format naming a schema id the registry lacks) and records that make the user function throw,
// scattered through the input. deadLetter loses nothing and duplicates nothing under exactly-once, even across
// a SIGKILL; logAndContinue skips and counts; fail stops at the first bad record, committing exactly the
// records before it.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { committedOffsets, readTopic, TopicWriter, type RecordToWrite } from "../src/kafka/tools.ts";
import type { ConsumedRecord } from "../src/kafka/types.ts";
import { deadLetterHeaders } from "../src/runtime/error-handlers.ts";
import { SeededRandom } from "../topologies/lib/random.ts";
import { connection, eventually, killAll, readSettled, schemaRegistryUrl, startWeir, StateDirs, TestTopics, uniqueName, type WeirProcess } from "./helpers/cluster.ts";
import { encode, paymentSerdes } from "./helpers/registry-schemas.ts";

const topics = new TestTopics();
const stateDirs = new StateDirs();
after(async () => {
  await killAll();
  await topics.drop();
  stateDirs.removeAll();
});

const app = "integration-tests/apps/poison-payments.ts";

type Kind = "good" | "undecodable" | "throws";

interface Input {
  readonly records: RecordToWrite[];
  /** By key (`p-<i>`): what the record is. */
  readonly kinds: Map<string, Kind>;
  readonly order: string[];
}

/** `count` payments keyed `p-<i>`, with `undecodable` and `throwing` bad ones at seeded positions. */
async function poisonInput(topic: string, count: number, undecodable: number, throwing: number, seed: number): Promise<Input> {
  const random = new SeededRandom(seed);
  const kinds = new Map<string, Kind>();
  const order: string[] = [];
  const bad = new Map<number, Kind>();
  while (bad.size < undecodable) bad.set(random.int(0, count), "undecodable");
  while (bad.size < undecodable + throwing) {
    const i = random.int(0, count);
    if (!bad.has(i)) bad.set(i, "throws");
  }
  const { value } = paymentSerdes("avro", "v1", schemaRegistryUrl());
  await encode(value, { id: "warm-up", amount: 1 }, topic);
  const records: RecordToWrite[] = [];
  // Recent timestamps: records older than the broker's retention (7 days) would be deleted under the test.
  const since = Date.now() - count;
  for (let i = 0; i < count; i++) {
    const key = `p-${i}`;
    const kind = bad.get(i) ?? "good";
    kinds.set(key, kind);
    order.push(key);
    let bytes: Buffer;
    if (kind === "undecodable") {
      // Every tenth names schema id 2^31-1, which the registry does not have; the others are not in the wire format.
      bytes = i % 10 === 0 ? Buffer.from([0, 0x7f, 0xff, 0xff, 0xff, 1, 2, 3]) : Buffer.from(`garbage ${i}`);
    } else {
      bytes = value.serialize({ id: key, amount: kind === "throws" ? -i - 1 : i }, topic);
    }
    records.push({ key, value: bytes, timestamp: since + i });
  }
  const writer = new TopicWriter(connection());
  await writer.connect();
  try {
    await writer.write(topic, records);
  } finally {
    await writer.close();
  }
  return { records, kinds, order };
}

function keysOf(records: readonly ConsumedRecord[]): string[] {
  return records.map((r) => r.key!.toString());
}

/** Keys seen more than once, and the expected keys never seen. */
function exactlyOnce(seen: readonly string[], expected: Iterable<string>): { duplicates: string[]; missing: string[]; unexpected: string[] } {
  const counts = new Map<string, number>();
  for (const k of seen) counts.set(k, (counts.get(k) ?? 0) + 1);
  const want = new Set(expected);
  return {
    duplicates: [...counts].filter(([, n]) => n > 1).map(([k]) => k),
    missing: [...want].filter((k) => !counts.has(k)),
    unexpected: [...counts.keys()].filter((k) => !want.has(k)),
  };
}

function keysOfKind(input: Input, kind: Kind): string[] {
  return input.order.filter((k) => input.kinds.get(k) === kind);
}

function stderrOf(started: readonly WeirProcess[]): string {
  return started.map((p, i) => `--- instance ${i + 1} stderr ends:\n${p.stderr().slice(-3000)}`).join("\n");
}

test("deadLetter: 100,000 records, 1,500 bad ones; each good effect once and each bad record once in the DLQ with its headers, across a SIGKILL", { timeout: 420_000 }, async (t) => {
  const input = await topics.create("poison-dlq-in", 2);
  const output = await topics.create("poison-dlq-out", 2);
  const applicationId = uniqueName("poison-dlq");
  const dlq = topics.adopt(`${applicationId}-dlq`);
  const data = await poisonInput(input, 100_000, 1_000, 500, 41);
  const env = {
    POISON_INPUT_TOPIC: input,
    POISON_OUTPUT_TOPIC: output,
    WEIR_APPLICATION_ID: applicationId,
    WEIR_DESERIALIZATION_ERROR_HANDLER: "deadLetter",
    WEIR_PROCESSING_ERROR_HANDLER: "deadLetter",
    WEIR_SESSION_TIMEOUT_MS: "6000",
    WEIR_HEARTBEAT_INTERVAL_MS: "1000",
  };
  const stateDir = stateDirs.create();
  const started: WeirProcess[] = [];
  const first = startWeir(["run", app], env, { stateDir });
  started.push(first);
  // Killed once a fifth of the bad records went to the DLQ: somewhere in the middle of the input.
  await eventually("300 records dead-lettered", 180_000, () => {
    assert.ok(first.running(), `the instance exited:\n${stderrOf(started)}`);
    return first.logs("record sent to the dead-letter topic").length >= 300;
  });
  first.child.kill("SIGKILL");
  await first.exited(10_000);
  t.diagnostic(`killed after ${first.logs("record sent to the dead-letter topic").length} dead-lettered records`);

  const second = startWeir(["run", app], env, { stateDir });
  started.push(second);
  const good = keysOfKind(data, "good");
  const outputRecords = await readSettled(output, good.length, 240_000, 5000);
  const dlqRecords = await readSettled(dlq, 1_500, 60_000, 3000);
  second.child.kill("SIGTERM");
  assert.equal(await second.exited(30_000), 0, "SIGTERM stops the instance cleanly");

  const out = exactlyOnce(keysOf(outputRecords), good);
  assert.deepEqual(
    { duplicates: out.duplicates.length, missing: out.missing.length, unexpected: out.unexpected.length },
    { duplicates: 0, missing: 0, unexpected: 0 },
    `output: ${JSON.stringify({ duplicates: out.duplicates.slice(0, 5), missing: out.missing.slice(0, 5), unexpected: out.unexpected.slice(0, 5) })}\n${stderrOf(started)}`,
  );
  const bad = [...keysOfKind(data, "undecodable"), ...keysOfKind(data, "throws")];
  const dead = exactlyOnce(keysOf(dlqRecords), bad);
  assert.deepEqual(
    { duplicates: dead.duplicates.length, missing: dead.missing.length, unexpected: dead.unexpected.length },
    { duplicates: 0, missing: 0, unexpected: 0 },
    `DLQ: ${JSON.stringify({ duplicates: dead.duplicates.slice(0, 5), missing: dead.missing.slice(0, 5), unexpected: dead.unexpected.slice(0, 5) })}`,
  );

  // Every DLQ record: the original bytes, and headers naming the error and the input record's place.
  const inputRecords = await readTopic(connection(), input, { count: 100_000, timeoutMs: 120_000 });
  assert.equal(inputRecords.length, 100_000, "the whole input read back");
  const where = new Map(inputRecords.map((r) => [r.key!.toString(), r]));
  const written = new Map(data.records.map((r) => [String(r.key), r]));
  for (const d of dlqRecords) {
    const key = d.key!.toString();
    const original = where.get(key);
    assert.ok(original, `${key} of the DLQ is in the input`);
    const header = (name: string) => d.headers[name]?.toString();
    assert.ok(d.value!.equals(written.get(key)!.value as Buffer), `${key}: the DLQ holds the original value bytes`);
    const kind = data.kinds.get(key);
    assert.equal(header(deadLetterHeaders.kind), kind === "throws" ? "processing" : "deserialization", key);
    assert.equal(header(deadLetterHeaders.errorClass), kind === "throws" ? "Error" : "SerdeError", key);
    assert.match(header(deadLetterHeaders.message)!, kind === "throws" ? /negative amount/ : /could not deserialize record/, key);
    assert.equal(header(deadLetterHeaders.topic), input);
    assert.equal(header(deadLetterHeaders.partition), String(original.partition), key);
    assert.equal(header(deadLetterHeaders.offset), original.offset, key);
    assert.equal(header(deadLetterHeaders.timestamp), String(original.timestamp), key);
    assert.equal(d.timestamp, original.timestamp, key);
  }
  const unknownId = dlqRecords.find((d) => d.value![0] === 0 && data.kinds.get(d.key!.toString()) === "undecodable");
  assert.match(unknownId!.headers[deadLetterHeaders.message]!.toString(), /schema registry has no schema id 2147483647/, "the registry's answer is in the message");
});

test("logAndContinue: the bad records are skipped and counted, every good one processed once", { timeout: 240_000 }, async () => {
  const input = await topics.create("poison-skip-in", 2);
  const output = await topics.create("poison-skip-out", 2);
  const data = await poisonInput(input, 20_000, 200, 100, 42);
  const weir = startWeir(["run", app], {
    POISON_INPUT_TOPIC: input,
    POISON_OUTPUT_TOPIC: output,
    WEIR_APPLICATION_ID: uniqueName("poison-skip"),
    WEIR_DESERIALIZATION_ERROR_HANDLER: "logAndContinue",
    WEIR_PROCESSING_ERROR_HANDLER: "logAndContinue",
  });
  const good = keysOfKind(data, "good");
  const out = exactlyOnce(keysOf(await readSettled(output, good.length, 120_000)), good);
  assert.deepEqual(out, { duplicates: [], missing: [], unexpected: [] }, weir.stderr().slice(-3000));
  const url = `http://127.0.0.1:${String(weir.logs("http server listening")[0]!.port)}`;
  const metric = async (kind: string) => {
    const text = await (await fetch(`${url}/metrics`)).text();
    const line = text.split("\n").find((l) => l.startsWith("weir_error_records_total{") && l.includes(`kind="${kind}"`) && l.includes('action="skipped"'));
    return Number(line?.split(" ").pop() ?? 0);
  };
  await eventually("the metric to count every skipped record", 30_000, async () => (await metric("deserialization")) === 200 && (await metric("processing")) === 100);
  assert.equal(weir.logs("record skipped (logAndContinue)").length, 300, "one log line per skipped record");
  weir.child.kill("SIGTERM");
  assert.equal(await weir.exited(30_000), 0);
});

test("fail: the app stops at the first bad record, naming it, and commits exactly the records before it", { timeout: 240_000 }, async () => {
  const input = await topics.create("poison-fail-in", 1);
  const output = await topics.create("poison-fail-out", 1);
  const applicationId = uniqueName("poison-fail");
  const data = await poisonInput(input, 20_000, 20, 10, 43);
  const weir = startWeir(["run", app], { POISON_INPUT_TOPIC: input, POISON_OUTPUT_TOPIC: output, WEIR_APPLICATION_ID: applicationId });
  assert.equal(await weir.exited(120_000), 1, "the app fails");
  const firstBad = data.order.findIndex((k) => data.kinds.get(k) !== "good");
  // One partition, written in order: the record's offset is its index.
  assert.match(weir.stderr(), new RegExp(`record ${input}-0@${firstBad}\\b`), `the error names the record; stderr ends:\n${weir.stderr().slice(-3000)}`);
  const before = data.order.slice(0, firstBad);
  const out = exactlyOnce(keysOf(await readSettled(output, before.length, 30_000)), before);
  assert.deepEqual(out, { duplicates: [], missing: [], unexpected: [] }, "the committed output is exactly the records before the bad one");
  assert.equal((await committedOffsets(connection(), applicationId, input)).get(0), String(firstBad), "the committed offset is the bad record's");
});
