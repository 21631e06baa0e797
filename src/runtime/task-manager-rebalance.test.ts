// TaskManager across rebalances, against a fake of the Kafka layer (task-manager-fixture.ts): exactly-once
// v2's generations, incremental rebalancing (kept tasks go on), stop-the-world rebalancing, and commits
// held while the member rejoins. Each test waits for the call it expects, never for time to pass.
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { FakeAdmin, FakeBatchControl, FakeCluster, fakeMessages } from "../testing/fake-kafka.ts";
import { assign, assignPartitions, changelog, instance, outValues } from "./task-manager-fixture.ts";
import type { GroupMetadata } from "../kafka/index.ts";

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

test("a member about to rejoin the group waits for the commit in flight; the commits due meanwhile wait for the new assignment", async (t) => {
  const cluster = new FakeCluster({ in: 2, out: 2, [changelog]: 2 });
  const { manager, control, outputsOf, failures } = instance(t, cluster, { incremental: true });
  assignPartitions(manager, [0]);
  await control.when("resume in:0");
  const output = outputsOf("0_0")[0]!;
  const held = output.holdCommits();
  const first = manager.onBatch({ topic: "in", partition: 0, messages: fakeMessages(0, [["a", "x"]]), highWatermark: "1" }, new FakeBatchControl());
  await held.started;
  let rejoining = false;
  const rejoin = manager.rebalanceStarting().then(() => (rejoining = true));
  for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r));
  assert.equal(rejoining, false, "the JoinGroup waits while a commit is in flight");
  held.release();
  await Promise.all([first, rejoin]);
  // Due (at its partition's end), but the member is rejoining: a commit now could carry a stale generation.
  await manager.onBatch({ topic: "in", partition: 0, messages: fakeMessages(1, [["a", "y"]]), highWatermark: "2" }, new FakeBatchControl());
  assert.deepEqual(output.commits.map((c) => c.offsets), [[{ topic: "in", partition: 0, offset: "1" }]], "no commit begins during the rebalance");
  assert.equal(manager.task("0_0")!.status, "running", "the task goes on processing");
  assignPartitions(manager, [0, 1]);
  await manager.onBatch({ topic: "in", partition: 0, messages: fakeMessages(2, [["a", "z"]]), highWatermark: "3" }, new FakeBatchControl());
  assert.deepEqual(output.commits.map((c) => c.offsets), [[{ topic: "in", partition: 0, offset: "1" }], [{ topic: "in", partition: 0, offset: "3" }]]);
  assert.deepEqual(outValues(output), ["a=1", "a=2", "a=3"], "what was processed during the rebalance is in the first commit after it");
  assert.deepEqual(failures, []);
});

test("a stopping app commits what it processed even while the member rejoins", async (t) => {
  const cluster = new FakeCluster({ in: 1, out: 1, [changelog]: 1 });
  const { manager, control, outputsOf } = instance(t, cluster, { incremental: true });
  assign(manager);
  await control.when("resume in:0");
  await manager.rebalanceStarting();
  await manager.onBatch({ topic: "in", partition: 0, messages: fakeMessages(0, [["a", "x"]]), highWatermark: "1" }, new FakeBatchControl());
  assert.equal(outputsOf("0_0")[0]!.commits.length, 0);
  manager.beginShutdown();
  await manager.commitAll();
  assert.deepEqual(outputsOf("0_0")[0]!.commits.map((c) => c.offsets), [[{ topic: "in", partition: 0, offset: "1" }]]);
});

/**
 * Member A counts k=1 and commits; frozen, it loses its task to B, which counts k=2, k=3 and commits; thawed, A
 * processes k on its stale state (k=2, uncommitted: short of the end). Returns A and a way to change its member id.
 */
async function lostMember(t: TestContext) {
  const cluster = new FakeCluster({ in: 1, out: 1, [changelog]: 1 });
  let generation: GroupMetadata = { groupId: "app", memberId: "m-1", generationId: 1 };
  const a = instance(t, cluster, { incremental: true, groupMetadata: () => generation });
  assignPartitions(a.manager, [0]);
  await a.control.when("resume in:0");
  await a.manager.onBatch({ topic: "in", partition: 0, messages: fakeMessages(0, [["k", "x"]]), highWatermark: "1" }, new FakeBatchControl());
  // A is frozen; its session expires and the group gives its task to B, which counts on and commits.
  const b = instance(t, cluster, { incremental: true, groupMetadata: () => ({ groupId: "app", memberId: "m-2", generationId: 2 }) });
  assignPartitions(b.manager, [0]);
  await b.control.when("resume in:0");
  await b.manager.onBatch({ topic: "in", partition: 0, messages: fakeMessages(1, [["k", "y"], ["k", "z"]]), highWatermark: "3" }, new FakeBatchControl());
  await b.manager.closeAll();
  assert.deepEqual(outValues(b.outputs[0]!), ["k=2", "k=3"]);
  // A thaws and processes a record on its stale state before it learns anything (not committed: short of the end).
  await a.manager.onBatch({ topic: "in", partition: 0, messages: fakeMessages(1, [["k", "y"]]), highWatermark: "1000" }, new FakeBatchControl());
  return { a, setGeneration: (next: GroupMetadata) => (generation = next) };
}

test("a member the group lost meanwhile (it rejoins under a new member id) commits nothing it processed since, and reopens its kept task from the changelog", async (t) => {
  const { a, setGeneration } = await lostMember(t);
  setGeneration({ groupId: "app", memberId: "m-3", generationId: 3 });
  const before = a.control.calls.length;
  assignPartitions(a.manager, [0]);
  await a.manager.whenReconciled();
  const [stale, reopened] = a.outputsOf("0_0");
  assert.deepEqual(outValues(stale!), ["k=1"], "the stale k=2 was never committed, not even under the new generation");
  assert.equal(stale!.closed, true);
  assert.ok(reopened !== undefined, "the task was opened anew");
  assert.ok(a.control.calls.slice(before).includes("seek in:0@3"), `sought to B's commit: ${a.control.calls.slice(before).join(", ")}`);
  await a.manager.onBatch({ topic: "in", partition: 0, messages: fakeMessages(3, [["k", "w"]]), highWatermark: "4" }, new FakeBatchControl());
  assert.deepEqual(outValues(reopened), ["k=4"], "counting on from B's changelog");
  assert.deepEqual(a.failures, []);
});

test("the same when a newer assignment keeps the lost member's task before the first one's reconcile ran", async (t) => {
  const { a, setGeneration } = await lostMember(t);
  setGeneration({ groupId: "app", memberId: "m-3", generationId: 3 });
  assignPartitions(a.manager, [0]);
  // Another rebalance at once, under the same new member id: the task is in both, so the second keeps it.
  setGeneration({ groupId: "app", memberId: "m-3", generationId: 4 });
  assignPartitions(a.manager, [0]);
  await a.manager.whenReconciled();
  const outputs = a.outputsOf("0_0");
  assert.deepEqual(outputs.flatMap((o) => outValues(o)), ["k=1"], "the stale k=2 was never committed");
  const task = a.manager.task("0_0")!;
  assert.equal(task.status, "running");
  await a.manager.onBatch({ topic: "in", partition: 0, messages: fakeMessages(3, [["k", "w"]]), highWatermark: "4" }, new FakeBatchControl());
  assert.deepEqual(outputs.flatMap((o) => outValues(o)).slice(1), ["k=4"], "counting on from B's changelog, not from the stale k=2");
  assert.deepEqual(a.failures, []);
});
