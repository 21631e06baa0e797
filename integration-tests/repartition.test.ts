// Re-keying on the real broker: groupBy sends records through <applicationId>-<name>-repartition, which Weir
// creates at start; the count in the next sub-topology is exact under exactly-once; records consumed from the
// repartition topic are purged after the commits (its log start offset moves up to the committed offset).
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { committedOffsets, describeTopic, partitionOffsets, readTopic } from "../src/kafka/tools.ts";
import { serdes } from "../src/serdes/serde.ts";
import { connection, eventually, killAll, readSettled, startWeir, TestTopics, uniqueName } from "./helpers/cluster.ts";
import { payments, writePayments } from "./helpers/payments.ts";

const topics = new TestTopics();
after(async () => {
  await killAll();
  await topics.drop();
});

test("groupBy then count: exact counts per new key through a created repartition topic whose consumed records are purged", async () => {
  const input = await topics.create("regroup-in", 2);
  const output = await topics.create("regroup-out", 2);
  const applicationId = uniqueName("regroup");
  const repartition = topics.adopt(`${applicationId}-by-bucket-repartition`);
  topics.adopt(`${applicationId}-bucket-counts-changelog`);
  const written = payments({ count: 4000, keys: 300, seed: 5 });
  const expected = new Map<string, number>();
  for (const p of written) expected.set(`bucket-${p.amount % 10}`, (expected.get(`bucket-${p.amount % 10}`) ?? 0) + 1);

  await writePayments(input, written.slice(0, 2000));
  const weir = startWeir(["run", "integration-tests/apps/regroup-count.ts"], {
    REGROUP_INPUT_TOPIC: input,
    REGROUP_OUTPUT_TOPIC: output,
    WEIR_APPLICATION_ID: applicationId,
    WEIR_REPARTITION_PURGE_INTERVAL_MS: "300",
  });
  await writePayments(input, written.slice(2000));

  const records = await readSettled(output, written.length, 120_000);
  const counts = new Map<string, number[]>();
  for (const r of records) {
    const key = r.key!.toString();
    const list = counts.get(key) ?? [];
    list.push(serdes.int64().deserialize(r.value!, output));
    counts.set(key, list);
  }
  const why = `\nstderr ends:\n${weir.stderr().slice(-3000)}`;
  assert.equal(records.length, written.length, `one count update per input record${why}`);
  for (const [bucket, n] of expected) {
    // Each update exactly once and in order: 1, 2, …, n.
    assert.deepEqual(counts.get(bucket), Array.from({ length: n }, (_, i) => i + 1), `counts of ${bucket}${why}`);
  }

  const described = await describeTopic(connection(), repartition);
  assert.equal(described.partitions, 2, "the repartition topic has the input's partition count");
  assert.equal(described.cleanupPolicy, "delete");

  // The last commit's offsets are purged at most one interval after it: each partition's log start offset
  // reaches the group's committed offset. (Past it there are only transaction markers: one per upstream
  // task whose transaction wrote to the partition.)
  let last = "";
  await eventually("the repartition topic's consumed records to be purged", 30_000, async () => {
    const offsets = await partitionOffsets(connection(), repartition);
    const committed = await committedOffsets(connection(), applicationId, repartition);
    last = `log ${JSON.stringify(Object.fromEntries(offsets))}, committed ${JSON.stringify(Object.fromEntries(committed))}`;
    return [...offsets].every(([partition, { low }]) => BigInt(low) > 0n && low === committed.get(partition));
  }).catch((err: unknown) => assert.fail(`${(err as Error).message}; ${last}${why}`));
  const unread = await readTopic(connection(), repartition, { timeoutMs: 2000, readCommitted: false });
  assert.deepEqual(unread, [], "no record is left in the repartition topic");

  weir.child.kill("SIGTERM");
  assert.equal(await weir.exited(30_000), 0, `clean exit${why}`);
});
