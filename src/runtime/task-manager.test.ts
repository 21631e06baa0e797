// TaskManager against a fake of the Kafka layer (src/testing/fake-kafka.ts): assignment, fencing, restore,
// processing, the commit sequence and recovery from a failed commit, with every fetch-control call checked.
// Each test waits for the call it expects (FakePartitionControl.when), never for time to pass.
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { StreamsBuilder } from "../topology/streams-builder.ts";
import { serdes } from "../serdes/serde.ts";
import { WeirMetrics } from "../metrics/metrics.ts";
import { FakeAdmin, FakeBatchControl, FakeCluster, fakeMessages, FakePartitionControl, FakeTaskOutput } from "../testing/fake-kafka.ts";
import { resolveConfig } from "./config.ts";
import { createLogger } from "./logger.ts";
import { TaskManager } from "./task-manager.ts";

const changelog = "app-counts-changelog";

interface Instance {
  readonly manager: TaskManager;
  readonly control: FakePartitionControl;
  readonly outputs: FakeTaskOutput[];
  readonly failures: Error[];
  readonly committed: ReadonlyMap<string, string>[];
}

function instance(t: TestContext, cluster: FakeCluster): Instance {
  const dir = mkdtempSync(join(tmpdir(), "weir-task-manager-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const b = new StreamsBuilder();
  b.stream("in", { key: serdes.string(), value: serdes.string() })
    .groupByKey()
    .count({ store: "counts" })
    .toStream()
    .to("out", { key: serdes.string(), value: serdes.int64() });
  const outputs: FakeTaskOutput[] = [];
  const failures: Error[] = [];
  const committed: ReadonlyMap<string, string>[] = [];
  const manager = new TaskManager({
    topology: b.build().forApplication("app"),
    // An interval no test run reaches: only a batch at its partition's end, or commitAll, commits.
    config: resolveConfig({ applicationId: "app", bootstrapServers: "127.0.0.1:1", stateDir: dir, commitIntervalMs: 3_600_000 }),
    logger: createLogger("silent"),
    admin: new FakeAdmin(cluster),
    metrics: new WeirMetrics("app", { tasksOwned: () => 0, stores: () => [] }),
    outputFor: () => {
      const output = new FakeTaskOutput(cluster);
      outputs.push(output);
      return output;
    },
    fail: (error) => failures.push(error),
    committed: (_task, offsets) => committed.push(offsets),
  });
  const control = new FakePartitionControl();
  manager.attach(control);
  t.after(() => manager.closeAll());
  return { manager, control, outputs, failures, committed };
}

/** Assigns partition 0 of the input and of the changelog, as the assignor hands out a task. */
function assign(manager: TaskManager): void {
  manager.onAssignment(new Map([["in", [0]], [changelog, [0]]]));
}

function outValues(output: FakeTaskOutput): string[] {
  return output.commits.flatMap((c) => c.records.filter((r) => r.topic === "out").map((r) => `${r.key!.toString()}=${r.value!.readBigInt64BE()}`));
}

test("an assigned task is fenced, then fetches its input from the group's committed offset; nothing is fetched before", async (t) => {
  const cluster = new FakeCluster({ in: 1, out: 1, [changelog]: 1 });
  cluster.committed.set("in:0", "5");
  const { manager, control, outputs } = instance(t, cluster);
  assert.deepEqual(manager.readiness(), { ready: false, reason: "waiting for the group to assign tasks" });
  assign(manager);
  await control.when("resume in:0");
  assert.deepEqual(control.calls, [`pause in:0`, `pause ${changelog}:0`, `pause ${changelog}:0`, "seek in:0@5", "resume in:0"]);
  assert.equal(outputs.length, 1);
  assert.equal(outputs[0]!.inits, 1, "fenced once");
  assert.deepEqual(manager.readiness(), { ready: true });
});

test("a batch that reaches its partition's end is committed at once: outputs, changelog records and the input offset in one commit", async (t) => {
  const cluster = new FakeCluster({ in: 1, out: 1, [changelog]: 1 });
  const { manager, control, outputs, committed, failures } = instance(t, cluster);
  assign(manager);
  await control.when("resume in:0");
  const batch = new FakeBatchControl();
  await manager.onBatch({ topic: "in", partition: 0, messages: fakeMessages(0, [["a", "x"], ["b", "y"], ["a", "z"]]), highWatermark: "3" }, batch);
  assert.deepEqual(failures, []);
  assert.deepEqual(batch.resolved, ["2"]);
  const [commit] = outputs[0]!.commits;
  assert.deepEqual(outValues(outputs[0]!), ["a=1", "b=1", "a=2"]);
  assert.deepEqual(commit!.records.filter((r) => r.topic === changelog).map((r) => r.key!.toString()).sort(), ["a", "b"], "one changelog record per key");
  assert.deepEqual(commit!.offsets, [{ topic: "in", partition: 0, offset: "3" }]);
  assert.deepEqual(committed.at(-1), new Map([["in:0", "3"]]));
});

test("a batch short of its partition's end waits for the commit interval", async (t) => {
  const cluster = new FakeCluster({ in: 1, out: 1, [changelog]: 1 });
  const { manager, control, outputs } = instance(t, cluster);
  assign(manager);
  await control.when("resume in:0");
  await manager.onBatch({ topic: "in", partition: 0, messages: fakeMessages(0, [["a", "x"]]), highWatermark: "1000" }, new FakeBatchControl());
  assert.equal(outputs[0]!.commits.length, 0, "not due: neither caught up nor past the interval");
  await manager.commitAll();
  assert.equal(outputs[0]!.commits.length, 1);
});

test("a batch whose last records are followed by a transaction marker at its partition's end is committed at once", async (t) => {
  // An input written in transactions (a repartition topic under exactly-once) ends in a marker: the records
  // stop at 1, the batch covers the marker at 2, the end is 3. No later batch comes to commit them.
  const cluster = new FakeCluster({ in: 1, out: 1, [changelog]: 1 });
  const { manager, control, outputs } = instance(t, cluster);
  assign(manager);
  await control.when("resume in:0");
  await manager.onBatch({ topic: "in", partition: 0, messages: fakeMessages(0, [["a", "x"], ["b", "y"]]), highWatermark: "3", nextOffset: "3" }, new FakeBatchControl());
  assert.equal(outputs[0]!.commits.length, 1, "caught up with the partition, markers included");
  assert.deepEqual(outputs[0]!.commits[0]!.offsets, [{ topic: "in", partition: 0, offset: "2" }]);
});

test("a failed commit drops the task's uncommitted work and reopens it from its last commit, fenced again", async (t) => {
  const cluster = new FakeCluster({ in: 1, out: 1, [changelog]: 1 });
  const { manager, control, outputs, failures } = instance(t, cluster);
  assign(manager);
  await control.when("resume in:0");
  await manager.onBatch({ topic: "in", partition: 0, messages: fakeMessages(0, [["a", "x"]]), highWatermark: "1" }, new FakeBatchControl());
  outputs[0]!.failNext = new Error("the producer was fenced");
  const before = control.calls.length;
  await manager.onBatch({ topic: "in", partition: 0, messages: fakeMessages(1, [["a", "y"]]), highWatermark: "2" }, new FakeBatchControl());
  // The recovery runs in the assignment chain, after the batch (a rebalance may be waiting for it).
  await manager.whenReconciled();
  assert.deepEqual(failures, []);
  assert.equal(outputs[0]!.closed, true, "the failed task's output is closed");
  assert.equal(outputs.length, 2, "the task opened again with a new output");
  assert.equal(outputs[1]!.inits, 1);
  assert.deepEqual(control.calls.slice(before), ["pause in:0", "pause in:0", `pause ${changelog}:0`, "seek in:0@1", "resume in:0"], "paused at the failure and again by the recovery, then rewound to the committed offset");
  // Fetched again: counted once.
  await manager.onBatch({ topic: "in", partition: 0, messages: fakeMessages(1, [["a", "y"]]), highWatermark: "2" }, new FakeBatchControl());
  assert.deepEqual(outValues(outputs[1]!), ["a=2"]);
});

test("a commit error every retry would meet stops the app instead of looping", async (t) => {
  const cluster = new FakeCluster({ in: 1, out: 1, [changelog]: 1 });
  const { manager, control, outputs, failures } = instance(t, cluster);
  assign(manager);
  await control.when("resume in:0");
  outputs[0]!.failNext = Object.assign(new Error("too large"), { type: "MESSAGE_TOO_LARGE" });
  await manager.onBatch({ topic: "in", partition: 0, messages: fakeMessages(0, [["a", "x"]]), highWatermark: "1" }, new FakeBatchControl());
  assert.equal(failures.length, 1);
  assert.match(failures[0]!.message, /task 0_0 cannot commit \(1 failed in a row\): too large/);
});

test("a new owner restores the store from the changelog, is not ready meanwhile, and goes on counting where the old one stopped", async (t) => {
  const cluster = new FakeCluster({ in: 1, out: 1, [changelog]: 1 });
  const first = instance(t, cluster);
  assign(first.manager);
  await first.control.when("resume in:0");
  await first.manager.onBatch({ topic: "in", partition: 0, messages: fakeMessages(0, [["a", "x"], ["b", "y"], ["a", "z"]]), highWatermark: "3" }, new FakeBatchControl());
  await first.manager.closeAll();

  const second = instance(t, cluster);
  assign(second.manager);
  await second.control.when(`resume ${changelog}:0`);
  assert.ok(second.control.calls.includes(`seek ${changelog}:0@0`), "replayed from the beginning: the new state dir is empty");
  assert.deepEqual(second.manager.readiness(), { ready: false, reason: "tasks not running yet (restoring): 0_0" });
  const records = cluster.logs.get(`${changelog}:0`)!;
  const messages = records.map((r, i) => ({ offset: String(i), key: r.key, value: r.value, timestamp: String(r.timestamp) }));
  const batch = new FakeBatchControl();
  await second.manager.onBatch({ topic: changelog, partition: 0, messages, highWatermark: String(records.length) }, batch);
  assert.deepEqual(batch.resolved, [String(records.length - 1)]);
  second.manager.onBatchEnd({ topic: changelog, partition: 0, lastOffset: String(records.length - 1), highWatermark: String(records.length) });
  await second.control.when("resume in:0");
  assert.ok(second.control.calls.includes("seek in:0@3"));
  assert.deepEqual(second.manager.readiness(), { ready: true });
  await second.manager.onBatch({ topic: "in", partition: 0, messages: fakeMessages(3, [["a", "w"]]), highWatermark: "4" }, new FakeBatchControl());
  assert.deepEqual(outValues(second.outputs[0]!), ["a=3"]);
});
