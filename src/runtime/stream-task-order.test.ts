// A task reading two partitions (a stream–table join) through StreamTask: records are processed in
// timestamp order across the partitions, whatever order their batches arrive in.
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import type { BatchMessage, ProducedRecord, TaskOutput, TopicPartitionOffset } from "../kafka/index.ts";
import { WeirMetrics } from "../metrics/metrics.ts";
import { serdes } from "../serdes/index.ts";
import { StreamsBuilder } from "../topology/streams-builder.ts";
import { StreamTask } from "./stream-task.ts";
import { commitTask } from "./task-commit.ts";

class RecordingOutput implements TaskOutput {
  readonly commits: { records: ProducedRecord[]; offsets: TopicPartitionOffset[] }[] = [];
  async init(): Promise<void> {}
  async commit(records: readonly ProducedRecord[], offsets: readonly TopicPartitionOffset[]): Promise<Map<string, string>> {
    this.commits.push({ records: [...records], offsets: [...offsets] });
    return new Map();
  }
  async close(): Promise<void> {}
}

async function joinTask(t: TestContext, maxTaskIdleMs = 0) {
  const dir = mkdtempSync(join(tmpdir(), "weir-order-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const strings = { key: serdes.string(), value: serdes.string() };
  const b = new StreamsBuilder();
  const customers = b.table("customers", { ...strings, store: "customers" });
  b.stream("orders", strings).leftJoin(customers, (order, customer) => `${order}|${customer ?? "none"}`).to("out", strings);
  const topology = b.build();
  assert.equal(topology.subTopologies.length, 1);
  const output = new RecordingOutput();
  const task = StreamTask.open({
    subTopology: topology.subTopologies[0]!,
    partition: 0,
    applicationId: "app",
    statePath: join(dir, "0_0.sqlite"),
    cacheMaxBytes: 0,
    logger: pino({ level: "silent" }),
    metrics: new WeirMetrics("app", { tasksOwned: () => 0, stores: () => [] }),
    maxTaskIdleMs,
  });
  task.beginRestore(new Map());
  task.adoptCommittedInputs(new Map([["orders:0", "0"], ["customers:0", "0"]]));
  task.startFetching();
  t.after(() => task.close());
  return { task, output };
}

function record(offset: number, key: string, value: string, timestamp: number): BatchMessage {
  return { offset: String(offset), key: Buffer.from(key), value: Buffer.from(value), timestamp: String(timestamp) };
}

function values(output: RecordingOutput): string[] {
  return output.commits.flatMap((c) => c.records.filter((r) => r.topic === "out").map((r) => r.value!.toString()));
}

test("orders fetched before the customers they follow in event time wait for them, then join in timestamp order", async (t) => {
  const { task, output } = await joinTask(t);
  const orders = [record(0, "c1", "o1", 200), record(1, "c2", "o2", 300), record(2, "c1", "o3", 50)];
  task.enqueue("orders", orders, "3");
  assert.deepEqual(await task.processBuffered(0), new Map(), "the customers partition is not known to be caught up");
  task.enqueue("customers", [record(0, "c1", "Ann", 100), record(1, "c2", "Bob", 100), record(2, "c1", "Ada", 250)], "3");
  const counts = await task.processBuffered(0);
  // Ann, Bob (100), o1 (200), Ada (250), o2 (300), then o3: the customers partition is caught up.
  assert.deepEqual(counts, new Map([["customers", 3], ["orders", 3]]));
  await commitTask(task, output);
  assert.deepEqual(values(output), ["o1|Ann", "o2|Bob", "o3|Ada"]);
  assert.deepEqual(
    output.commits[0]!.offsets.map((o) => `${o.topic}:${o.offset}`).sort(),
    ["customers:3", "orders:3"],
  );
});

test("only processed records count toward the committed offsets; a rollback drops the buffered ones", async (t) => {
  const { task, output } = await joinTask(t);
  task.enqueue("customers", [record(0, "c1", "Ann", 100)], "5");
  task.enqueue("orders", [record(0, "c1", "o1", 50), record(1, "c1", "o2", 150)], "2");
  // o1 (50), Ann (100); then customers is empty with 4 records on the broker: o2 (150) waits.
  assert.deepEqual(await task.processBuffered(0), new Map([["orders", 1], ["customers", 1]]));
  assert.equal(task.hasBuffered(), true);
  await commitTask(task, output);
  assert.deepEqual(values(output), ["o1|none"]);
  assert.deepEqual(output.commits[0]!.offsets.map((o) => `${o.topic}:${o.offset}`).sort(), ["customers:1", "orders:1"]);

  task.rollback();
  assert.equal(task.hasBuffered(), false, "o2 is fetched again from the committed offset");
  assert.deepEqual(task.startFetching(), new Map([["orders", "1"], ["customers", "1"]]));
});

test("a record already processed is never queued again (a batch fetched before a seek)", async (t) => {
  const { task, output } = await joinTask(t, -1);
  task.enqueue("orders", [record(0, "c1", "o1", 50)], "1");
  await task.processBuffered(0);
  task.enqueue("orders", [record(0, "c1", "o1", 50), record(1, "c1", "o2", 60)], "2");
  assert.deepEqual(await task.processBuffered(0), new Map([["orders", 1]]));
  await commitTask(task, output);
  assert.deepEqual(values(output), ["o1|none", "o2|none"]);
});
