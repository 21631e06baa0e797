// TaskManager against a fake of the Kafka layer (task-manager-fixture.ts): assignment, fencing, restore,
// processing, the commit sequence and recovery from a failed commit, with every fetch-control call checked.
// Each test waits for the call it expects (FakePartitionControl.when), never for time to pass. Rebalances:
// task-manager-rebalance.test.ts.
import { test } from "node:test";
import assert from "node:assert/strict";
import { FakeAdmin, FakeBatchControl, FakeCluster, fakeMessages } from "../testing/fake-kafka.ts";
import { assign, changelog, instance, outValues } from "./task-manager-fixture.ts";

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

test("the input's log start is read only for a task with nothing committed, and is where it starts", async (t) => {
  class LogStarts extends FakeAdmin {
    reads = 0;
    override async earliestOffsets(topic: string): Promise<Map<number, string>> {
      this.reads++;
      return new Map([...(await super.earliestOffsets(topic))].map(([p]) => [p, "7"]));
    }
  }
  const committed = new FakeCluster({ in: 1, out: 1, [changelog]: 1 });
  committed.committed.set("in:0", "5");
  const committedAdmin = new LogStarts(committed);
  const withCommit = instance(t, committed, { admin: committedAdmin });
  assign(withCommit.manager);
  await withCommit.control.when("resume in:0");
  assert.ok(withCommit.control.calls.includes("seek in:0@5"));
  const fresh = new FakeCluster({ in: 1, out: 1, [changelog]: 1 });
  const admin = new LogStarts(fresh);
  const withoutCommit = instance(t, fresh, { admin });
  assign(withoutCommit.manager);
  await withoutCommit.control.when("resume in:0");
  assert.ok(withoutCommit.control.calls.includes("seek in:0@7"), `starts at the log start: ${withoutCommit.control.calls.join(", ")}`);
  assert.equal(admin.reads, 1);
  assert.equal(committedAdmin.reads, 0, "no log start read when the offset is committed");
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
  task.restoreBatch = (topic, batch, next) => {
    applied.push(batch.length);
    restoreBatch(topic, batch, next);
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
