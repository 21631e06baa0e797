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
import { FakeAdmin, FakeBatchControl, FakeCluster, fakeMessages, FakePartitionControl, FakePartitionReader, FakeTaskOutput } from "../testing/fake-kafka.ts";
import { resolveConfig } from "./config.ts";
import { createLogger } from "./logger.ts";
import { TaskManager } from "./task-manager.ts";
import type { GroupMetadata } from "../kafka/index.ts";

const changelog = "app-counts-changelog";

interface Instance {
  readonly manager: TaskManager;
  readonly control: FakePartitionControl;
  readonly reader: FakePartitionReader;
  readonly outputs: FakeTaskOutput[];
  /** Each task's outputs, in the order they were opened. */
  readonly outputsOf: (task: string) => FakeTaskOutput[];
  readonly failures: Error[];
  readonly committed: ReadonlyMap<string, string>[];
}

/** `incremental`: the client keeps fetching kept partitions across a rebalance (@platformatic/kafka); else as kafkajs.
 * `groupMetadata`: an exactly-once v2 client's generation. */
function instance(
  t: TestContext,
  cluster: FakeCluster,
  { incremental = false, groupMetadata, admin = new FakeAdmin(cluster) }: { incremental?: boolean; groupMetadata?: () => GroupMetadata | undefined; admin?: FakeAdmin } = {},
): Instance {
  const dir = mkdtempSync(join(tmpdir(), "weir-task-manager-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const b = new StreamsBuilder();
  b.stream("in", { key: serdes.string(), value: serdes.string() })
    .groupByKey()
    .count({ store: "counts" })
    .toStream()
    .to("out", { key: serdes.string(), value: serdes.int64() });
  const outputs: FakeTaskOutput[] = [];
  const byTask = new Map<string, FakeTaskOutput[]>();
  const failures: Error[] = [];
  const committed: ReadonlyMap<string, string>[] = [];
  const reader = new FakePartitionReader(cluster);
  const manager = new TaskManager({
    topology: b.build().forApplication("app"),
    // An interval no test run reaches: only a batch at its partition's end, or commitAll, commits.
    config: resolveConfig({ applicationId: "app", bootstrapServers: "127.0.0.1:1", stateDir: dir, commitIntervalMs: 3_600_000 }),
    logger: createLogger("silent"),
    admin,
    metrics: new WeirMetrics("app", { tasksOwned: () => 0, stores: () => [] }),
    outputFor: (task) => {
      const output = new FakeTaskOutput(cluster);
      outputs.push(output);
      byTask.set(task, [...(byTask.get(task) ?? []), output]);
      return output;
    },
    changelogReader: reader,
    fail: (error) => failures.push(error),
    committed: (_task, offsets) => committed.push(offsets),
    groupMetadata,
  });
  const control = new FakePartitionControl();
  control.keepsFetchingAcrossRebalances = incremental;
  manager.attach(control);
  t.after(() => manager.closeAll());
  return { manager, control, reader, outputs, outputsOf: (task) => byTask.get(task) ?? [], failures, committed };
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
  assert.deepEqual(control.calls, [`pause in:0`, `pause ${changelog}:0`, "seek in:0@5", "resume in:0"], "the changelog stays paused");
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
  assert.deepEqual(control.calls.slice(before), ["pause in:0", "pause in:0", "seek in:0@1", "resume in:0"], "paused at the failure and again by the recovery, then rewound to the committed offset");
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
  const release = second.reader.hold();
  assign(second.manager);
  const records = cluster.logs.get(`${changelog}:0`)!;
  // Replayed from the beginning (the new state dir is empty) to the changelog's end, without the group.
  await second.reader.when(`read ${changelog}:0@0-${records.length}`);
  assert.deepEqual(second.manager.readiness(), { ready: false, reason: "tasks not running yet (restoring): 0_0" });
  assert.ok(!second.control.calls.some((c) => c.startsWith("resume")), "nothing resumed in the group while restoring");
  release();
  await second.control.when("resume in:0");
  assert.ok(second.control.calls.includes("seek in:0@3"));
  assert.deepEqual(second.manager.readiness(), { ready: true });
  await second.manager.onBatch({ topic: "in", partition: 0, messages: fakeMessages(3, [["a", "w"]]), highWatermark: "4" }, new FakeBatchControl());
  assert.deepEqual(outValues(second.outputs[0]!), ["a=3"]);
});

test("restore applies a changelog partition's records across fetches in one store transaction", async (t) => {
  const cluster = new FakeCluster({ in: 1, out: 1, [changelog]: 1 });
  const first = instance(t, cluster);
  assign(first.manager);
  await first.control.when("resume in:0");
  await first.manager.onBatch({ topic: "in", partition: 0, messages: fakeMessages(0, [["a", "x"], ["b", "y"], ["c", "z"], ["d", "w"], ["e", "v"]]), highWatermark: "5" }, new FakeBatchControl());
  await first.manager.closeAll();
  assert.equal(cluster.logs.get(`${changelog}:0`)!.length, 5);

  const second = instance(t, cluster);
  second.reader.fetchSize = 1;
  const release = second.reader.hold();
  assign(second.manager);
  await second.reader.when(`read ${changelog}:0@0-5`);
  const task = second.manager.task("0_0")!;
  const applied: number[] = [];
  const restoreBatch = task.restoreBatch.bind(task);
  task.restoreBatch = (topic, messages) => {
    applied.push(messages.length);
    restoreBatch(topic, messages);
  };
  release();
  await second.control.when("resume in:0");
  assert.deepEqual(applied, [5], "five fetches of one record, applied once");
  await second.manager.onBatch({ topic: "in", partition: 0, messages: fakeMessages(5, [["e", "u"]]), highWatermark: "6" }, new FakeBatchControl());
  assert.deepEqual(outValues(second.outputs[0]!), ["e=2"]);
});

test("a newer assignment stops a restore under way; the kept task restores again from its checkpoint", async (t) => {
  const cluster = new FakeCluster({ in: 1, out: 1, [changelog]: 1 });
  const first = instance(t, cluster);
  assign(first.manager);
  await first.control.when("resume in:0");
  await first.manager.onBatch({ topic: "in", partition: 0, messages: fakeMessages(0, [["a", "x"], ["b", "y"], ["c", "z"]]), highWatermark: "3" }, new FakeBatchControl());
  await first.manager.closeAll();

  const second = instance(t, cluster);
  const release = second.reader.hold();
  assign(second.manager);
  await second.reader.when(`read ${changelog}:0@0-3`);
  assign(second.manager);
  release();
  await second.control.when("resume in:0");
  assert.equal(second.reader.aborted, 1, "the first read stopped before its first fetch");
  assert.deepEqual(second.reader.reads, [`read ${changelog}:0@0-3`, `read ${changelog}:0@0-3`]);
  assert.deepEqual(second.failures, []);
  await second.manager.onBatch({ topic: "in", partition: 0, messages: fakeMessages(3, [["a", "u"]]), highWatermark: "4" }, new FakeBatchControl());
  assert.deepEqual(outValues(second.outputs[0]!), ["a=2"], "restored once: the aborted read applied nothing");
});

test("a changelog read that fails is retried from where the records read end, and the store is restored once", async (t) => {
  const cluster = new FakeCluster({ in: 1, out: 1, [changelog]: 1 });
  const first = instance(t, cluster);
  assign(first.manager);
  await first.control.when("resume in:0");
  await first.manager.onBatch({ topic: "in", partition: 0, messages: fakeMessages(0, [["a", "x"], ["b", "y"], ["c", "z"], ["a", "w"], ["b", "v"]]), highWatermark: "5" }, new FakeBatchControl());
  await first.manager.closeAll();
  const end = cluster.logs.get(`${changelog}:0`)!.length;

  const second = instance(t, cluster);
  second.reader.fetchSize = 1;
  second.reader.failNext = { afterFetches: 2, error: new Error("connection closed") };
  assign(second.manager);
  await second.control.when("resume in:0");
  assert.deepEqual(second.reader.reads, [`read ${changelog}:0@0-${end}`, `read ${changelog}:0@2-${end}`]);
  assert.deepEqual(second.failures, []);
  await second.manager.onBatch({ topic: "in", partition: 0, messages: fakeMessages(5, [["a", "u"], ["c", "u"]]), highWatermark: "7" }, new FakeBatchControl());
  assert.deepEqual(outValues(second.outputs[0]!), ["a=3", "c=2"]);
});

test("exactly-once v2: only the tasks of the current assignment may commit, under that assignment's generation", async (t) => {
  const cluster = new FakeCluster({ in: 2, out: 1, [changelog]: 2 });
  let generation: GroupMetadata = { groupId: "app", memberId: "m-1", generationId: 1 };
  const { manager } = instance(t, cluster, { groupMetadata: () => generation });
  assert.equal(manager.commitGeneration("0_0"), undefined, "nothing assigned yet");
  manager.onAssignment(new Map([["in", [0, 1]], [changelog, [0, 1]]]));
  assert.deepEqual(manager.commitGeneration("0_0"), generation);
  generation = { groupId: "app", memberId: "m-1", generationId: 2 };
  // Task 0_0 moves to another member: from this call on its commits carry no generation and are refused.
  manager.onAssignment(new Map([["in", [1]], [changelog, [1]]]));
  assert.equal(manager.commitGeneration("0_0"), undefined);
  assert.deepEqual(manager.commitGeneration("0_1"), generation);
  await manager.whenReconciled();
  assert.deepEqual(manager.snapshots().map((s) => s.id), ["0_1"]);
});

/** An admin of an exactly-once v2 client: high watermarks, and a log of the reads in order. */
class HighWatermarkAdmin extends FakeAdmin {
  readonly reads: string[] = [];

  override async committedOffsets(groupId: string, topics: readonly string[]): Promise<Map<string, string>> {
    this.reads.push(`committed ${topics.join(",")}`);
    return super.committedOffsets(groupId, topics);
  }

  override async endOffsets(topic: string): Promise<Map<number, string>> {
    this.reads.push(`end ${topic}`);
    return super.endOffsets(topic);
  }

  async highWatermarks(topic: string): Promise<Map<number, string>> {
    this.reads.push(`high watermarks ${topic}`);
    return super.endOffsets(topic);
  }
}

test("exactly-once v2: a new owner reads the committed offsets first, then the changelogs' high watermarks, and restores up to them", async (t) => {
  const cluster = new FakeCluster({ in: 1, out: 1, [changelog]: 1 });
  cluster.append(changelog, 0, [{ topic: changelog, partition: 0, key: Buffer.from("k"), value: Buffer.from("v"), timestamp: 0, headers: {} }]);
  cluster.committed.set("in:0", "3");
  const admin = new HighWatermarkAdmin(cluster);
  const { manager, control, reader } = instance(t, cluster, { groupMetadata: () => ({ groupId: "app", memberId: "m-1", generationId: 1 }), admin });
  assign(manager);
  await control.when("resume in:0");
  assert.deepEqual(admin.reads.slice(0, 2), ["committed in", `high watermarks ${changelog}`]);
  assert.ok(!admin.reads.includes(`end ${changelog}`), "last stable offsets are not read");
  assert.deepEqual(reader.reads, [`read ${changelog}:0@0-1`]);
});

/** Assigns these partitions of the input with their changelog partitions. */
function assignPartitions(manager: TaskManager, partitions: number[]): void {
  manager.onAssignment(new Map([["in", partitions], [changelog, partitions]]));
}

test("a task kept across an incremental rebalance goes on untouched: not paused, committed, fenced, restored or sought again", async (t) => {
  const cluster = new FakeCluster({ in: 2, out: 2, [changelog]: 2 });
  const { manager, control, reader, outputsOf, failures } = instance(t, cluster, { incremental: true });
  assignPartitions(manager, [0]);
  await control.when("resume in:0");
  await manager.onBatch({ topic: "in", partition: 0, messages: fakeMessages(0, [["a", "x"]]), highWatermark: "1000" }, new FakeBatchControl());
  const before = control.calls.length;
  const readsBefore = reader.reads.length;
  assignPartitions(manager, [0, 1]);
  await control.when("resume in:1", before);
  await manager.whenReconciled();
  assert.deepEqual(control.calls.slice(before), ["pause in:1", `pause ${changelog}:0`, `pause ${changelog}:1`, "seek in:1@0", "resume in:1"], "only the new task's input is paused, sought and resumed");
  assert.deepEqual(reader.reads.slice(readsBefore), [], "nothing restored again (the new task's changelog is empty)");
  const [kept] = outputsOf("0_0");
  assert.equal(outputsOf("0_0").length, 1);
  assert.equal(kept!.inits, 1, "not fenced again");
  assert.equal(kept!.commits.length, 0, "its processed record waits for its own commit, as scheduled");
  assert.equal(outputsOf("0_1")[0]!.inits, 1, "the new task is fenced");
  // The kept task's uncommitted state is still there: the next record counts on from it.
  await manager.onBatch({ topic: "in", partition: 0, messages: fakeMessages(1, [["a", "y"]]), highWatermark: "2" }, new FakeBatchControl());
  assert.deepEqual(outValues(kept!), ["a=1", "a=2"]);
  assert.deepEqual(kept!.commits.map((c) => c.offsets), [[{ topic: "in", partition: 0, offset: "2" }]]);
  assert.deepEqual(failures, []);
});

test("a task revoked in an incremental rebalance commits what it processed and closes; the kept one does not stop", async (t) => {
  const cluster = new FakeCluster({ in: 2, out: 2, [changelog]: 2 });
  const { manager, control, outputsOf, failures } = instance(t, cluster, { incremental: true });
  assignPartitions(manager, [0, 1]);
  await control.when("resume in:0");
  await control.when("resume in:1");
  await manager.onBatch({ topic: "in", partition: 0, messages: fakeMessages(0, [["a", "x"]]), highWatermark: "1000" }, new FakeBatchControl());
  await manager.onBatch({ topic: "in", partition: 1, messages: fakeMessages(0, [["b", "x"]]), highWatermark: "1000" }, new FakeBatchControl());
  const before = control.calls.length;
  assignPartitions(manager, [1]);
  await manager.whenReconciled();
  const revoked = outputsOf("0_0")[0]!;
  assert.deepEqual(revoked.commits.map((c) => c.offsets), [[{ topic: "in", partition: 0, offset: "1" }]], "its work is handed over committed");
  assert.equal(revoked.closed, true);
  assert.equal(manager.task("0_0"), undefined);
  const kept = outputsOf("0_1")[0]!;
  assert.equal(kept.commits.length, 0);
  assert.equal(kept.closed, false);
  assert.equal(manager.task("0_1")!.status, "running");
  assert.deepEqual(control.calls.slice(before), [`pause ${changelog}:1`], "the kept input is never paused");
  assert.deepEqual(failures, []);
});

test("a task revoked and assigned again in two quick incremental rebalances is closed and opened anew, fenced and sought again", async (t) => {
  const cluster = new FakeCluster({ in: 1, out: 1, [changelog]: 1 });
  const { manager, control, outputsOf, failures } = instance(t, cluster, { incremental: true });
  assignPartitions(manager, [0]);
  await control.when("resume in:0");
  await manager.onBatch({ topic: "in", partition: 0, messages: fakeMessages(0, [["a", "x"]]), highWatermark: "1000" }, new FakeBatchControl());
  const before = control.calls.length;
  // Both before the first reconcile ran: the client dropped the partition in between, so it is not kept.
  assignPartitions(manager, []);
  assignPartitions(manager, [0]);
  await control.when("resume in:0", before);
  await manager.whenReconciled();
  const [first, second] = outputsOf("0_0");
  assert.equal(first!.closed, true);
  assert.deepEqual(first!.commits.map((c) => c.offsets), [[{ topic: "in", partition: 0, offset: "1" }]]);
  assert.equal(second!.inits, 1, "fenced again");
  assert.deepEqual(control.calls.slice(before), ["pause in:0", `pause ${changelog}:0`, "seek in:0@1", "resume in:0"]);
  assert.deepEqual(failures, []);
});

test("a commit under way when an incremental rebalance keeps its task completes, and the task keeps running", async (t) => {
  const cluster = new FakeCluster({ in: 2, out: 2, [changelog]: 2 });
  const { manager, control, outputsOf, failures } = instance(t, cluster, { incremental: true });
  assignPartitions(manager, [0]);
  await control.when("resume in:0");
  const output = outputsOf("0_0")[0]!;
  const held = output.holdCommits();
  // At its partition's end: the batch commits at once, and the commit waits.
  const batch = manager.onBatch({ topic: "in", partition: 0, messages: fakeMessages(0, [["a", "x"]]), highWatermark: "1" }, new FakeBatchControl());
  await held.started;
  assignPartitions(manager, [0, 1]);
  await control.when("resume in:1");
  held.release();
  await batch;
  await manager.whenReconciled();
  assert.deepEqual(output.commits.map((c) => c.offsets), [[{ topic: "in", partition: 0, offset: "1" }]], "one commit: the rebalance added none");
  assert.equal(manager.task("0_0")!.status, "running");
  assert.ok(!control.calls.includes("seek in:0@1"), "not sought again");
  assert.deepEqual(failures, []);
});

test("a failed commit's recovery and an incremental rebalance that keeps the task reopen it once", async (t) => {
  const cluster = new FakeCluster({ in: 1, out: 1, [changelog]: 1 });
  const { manager, control, outputsOf, failures } = instance(t, cluster, { incremental: true });
  assignPartitions(manager, [0]);
  await control.when("resume in:0");
  await manager.onBatch({ topic: "in", partition: 0, messages: fakeMessages(0, [["a", "x"]]), highWatermark: "1" }, new FakeBatchControl());
  outputsOf("0_0")[0]!.failNext = new Error("the producer was fenced");
  const before = control.calls.length;
  await manager.onBatch({ topic: "in", partition: 0, messages: fakeMessages(1, [["a", "y"]]), highWatermark: "2" }, new FakeBatchControl());
  // The recovery is queued, not run yet: the rebalance comes first.
  assignPartitions(manager, [0]);
  await manager.whenReconciled();
  await control.when("resume in:0", before);
  assert.equal(outputsOf("0_0").length, 2, "opened again once");
  assert.equal(manager.task("0_0")!.status, "running");
  assert.equal(control.calls.slice(before).filter((c) => c === "seek in:0@1").length, 1, "rewound to its commit once");
  await manager.onBatch({ topic: "in", partition: 0, messages: fakeMessages(1, [["a", "y"]]), highWatermark: "2" }, new FakeBatchControl());
  assert.deepEqual(outValues(outputsOf("0_0")[1]!), ["a=2"]);
  assert.deepEqual(failures, []);
});

test("a task still restoring when an incremental rebalance keeps it restores again from its checkpoint; a running one is left alone", async (t) => {
  const cluster = new FakeCluster({ in: 2, out: 2, [changelog]: 2 });
  const first = instance(t, cluster);
  assignPartitions(first.manager, [0]);
  await first.control.when("resume in:0");
  await first.manager.onBatch({ topic: "in", partition: 0, messages: fakeMessages(0, [["a", "x"], ["b", "y"]]), highWatermark: "2" }, new FakeBatchControl());
  await first.manager.closeAll();

  const second = instance(t, cluster, { incremental: true });
  assignPartitions(second.manager, [1]);
  await second.control.when("resume in:1");
  const release = second.reader.hold();
  const kept = second.control.calls.length;
  assignPartitions(second.manager, [0, 1]);
  await second.reader.when(`read ${changelog}:0@0-2`);
  const before = second.control.calls.length;
  assignPartitions(second.manager, [0, 1]);
  release();
  await second.control.when("resume in:0", before);
  await second.manager.whenReconciled();
  assert.deepEqual(second.reader.reads, [`read ${changelog}:0@0-2`, `read ${changelog}:0@0-2`]);
  assert.deepEqual(second.control.calls.slice(kept).filter((c) => c.includes("in:1")), [], "the running task 0_1 was left alone");
  assert.equal(second.outputsOf("0_1").length, 1);
  await second.manager.onBatch({ topic: "in", partition: 0, messages: fakeMessages(2, [["a", "z"]]), highWatermark: "3" }, new FakeBatchControl());
  assert.deepEqual(outValues(second.outputsOf("0_0")[0]!), ["a=2"]);
  assert.deepEqual(second.failures, []);
});

test("on a client that revokes everything at each rebalance, a kept task commits and is sought again to its commit", async (t) => {
  const cluster = new FakeCluster({ in: 2, out: 2, [changelog]: 2 });
  const { manager, control, outputsOf, failures } = instance(t, cluster);
  assignPartitions(manager, [0]);
  await control.when("resume in:0");
  await manager.onBatch({ topic: "in", partition: 0, messages: fakeMessages(0, [["a", "x"]]), highWatermark: "1000" }, new FakeBatchControl());
  const before = control.calls.length;
  assignPartitions(manager, [0, 1]);
  await manager.whenReconciled();
  await control.when("resume in:0", before);
  assert.deepEqual(outputsOf("0_0")[0]!.commits.map((c) => c.offsets), [[{ topic: "in", partition: 0, offset: "1" }]]);
  assert.ok(control.calls.slice(before).includes("pause in:0"));
  assert.ok(control.calls.slice(before).includes("seek in:0@1"));
  assert.deepEqual(failures, []);
});
