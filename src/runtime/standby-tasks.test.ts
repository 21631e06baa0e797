// Standby tasks against the fake Kafka layer: an active TaskManager writes the changelog, a standby on another
// state dir applies it with its checkpoint, and a TaskManager promoted on the standby's dir restores only the rest.
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { WeirMetrics } from "../metrics/metrics.ts";
import { serdes } from "../serdes/serde.ts";
import { StreamsBuilder } from "../topology/streams-builder.ts";
import { FakeAdmin, FakeBatchControl, FakeCluster, FakePartitionReader, fakeMessages } from "../testing/fake-kafka.ts";
import { resolveConfig } from "./config.ts";
import { createLogger } from "./logger.ts";
import { StandbyTasks } from "./standby-tasks.ts";
import { StandbyTask } from "./standby-task.ts";
import { assign, changelog, instance } from "./task-manager-fixture.ts";

function standbyOn(t: TestContext, cluster: FakeCluster, stateDir: string, isActive: (id: string) => boolean = () => false, held?: () => boolean) {
  const b = new StreamsBuilder();
  b.stream("in", { key: serdes.string(), value: serdes.string() }).groupByKey().count({ store: "counts" }).toStream().to("out", { key: serdes.string(), value: serdes.int64() });
  const metrics = new WeirMetrics("app", { tasksOwned: () => 0, stores: () => [] });
  const reader = new FakePartitionReader(cluster);
  const standbys = new StandbyTasks({
    topology: b.build().forApplication("app"),
    config: resolveConfig({ applicationId: "app", bootstrapServers: "127.0.0.1:1", stateDir, numStandbyReplicas: 1 }),
    logger: createLogger("silent"),
    metrics,
    admin: new FakeAdmin(cluster),
    reader,
    isActive,
    intervalMs: 5,
    held,
  });
  t.after(() => standbys.stop());
  return { standbys, reader, metrics };
}

function tempDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), "weir-standby-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test("a standby applies its task's changelog with its checkpoint, and a task promoted on its file restores only the lag", async (t) => {
  const cluster = new FakeCluster({ in: 1, out: 1, [changelog]: 1 });
  const active = instance(t, cluster);
  assign(active.manager);
  await active.control.when("resume in:0");
  await active.manager.onBatch({ topic: "in", partition: 0, messages: fakeMessages(0, [["a", "x"], ["b", "y"], ["a", "z"]]), highWatermark: "3" }, new FakeBatchControl());
  assert.equal(cluster.logEnds.get(`${changelog}:0`), 2n, "a=2 and b=1 in the changelog");

  const dir = tempDir(t);
  const { standbys, metrics } = standbyOn(t, cluster, dir);
  standbys.assign(["0_0"]);
  await standbys.whenRoundDone();
  await standbys.whenRoundDone();
  assert.deepEqual(standbys.snapshots(), [{ id: "0_0", standby: true, lag: 0, checkpoint: { [`${changelog}:0`]: "2" }, warmup: false }]);
  assert.deepEqual(standbys.positions(), { "0_0": 2 }, "its position for the group leader: the checkpoint summed over its changelog partitions");
  assert.match(await metrics.text(), /weir_standby_lag_records\{application="app",task="0_0",store="counts"\} 0/);

  await active.manager.onBatch({ topic: "in", partition: 0, messages: fakeMessages(3, [["c", "x"]]), highWatermark: "4" }, new FakeBatchControl());
  await standbys.whenRoundDone();
  await standbys.whenRoundDone();
  assert.deepEqual(standbys.snapshots(), [{ id: "0_0", standby: true, lag: 0, checkpoint: { [`${changelog}:0`]: "3" }, warmup: false }], "c=1 applied too");
  await standbys.stop();

  // The standby's instance takes the task over after two more changelog records it never read.
  await active.manager.onBatch({ topic: "in", partition: 0, messages: fakeMessages(4, [["d", "x"], ["a", "y"]]), highWatermark: "6" }, new FakeBatchControl());
  assert.equal(cluster.logEnds.get(`${changelog}:0`), 5n);
  await active.manager.closeAll();
  const promoted = instance(t, cluster, { stateDir: dir });
  assign(promoted.manager);
  await promoted.control.when("resume in:0");
  assert.deepEqual(promoted.reader.reads, [`read ${changelog}:0@3-5`], "only the two records the standby had not applied");
  await promoted.manager.onBatch({ topic: "in", partition: 0, messages: fakeMessages(6, [["a", "w"], ["b", "w"], ["c", "w"]]), highWatermark: "9" }, new FakeBatchControl());
  const out = promoted.outputs[0]!.commits.flatMap((c) => c.records.filter((r) => r.topic === "out").map((r) => `${r.key!.toString()}=${r.value!.readBigInt64BE()}`));
  assert.deepEqual(out, ["a=4", "b=2", "c=2"], "the counts go on from the standby's copy");
});

test("a standby answers stale reads once it has caught up, and its lag goes with its task when made active here", async (t) => {
  const cluster = new FakeCluster({ in: 1, out: 1, [changelog]: 1 });
  const active = instance(t, cluster);
  assign(active.manager);
  await active.control.when("resume in:0");
  await active.manager.onBatch({ topic: "in", partition: 0, messages: fakeMessages(0, [["a", "x"], ["b", "y"], ["a", "z"]]), highWatermark: "3" }, new FakeBatchControl());
  let held = true;
  const { standbys } = standbyOn(t, cluster, tempDir(t), () => false, () => held);
  standbys.assign(["0_0"]);
  await standbys.whenRoundDone();
  assert.deepEqual(standbys.ids(), ["0_0"], "open, but held: it has read nothing");
  assert.equal(standbys.staleCopy("0_0"), undefined, "not caught up: no stale reads from it");
  held = false;
  await standbys.whenRoundDone();
  await standbys.whenRoundDone();
  const copy = standbys.staleCopy("0_0");
  assert.equal(copy?.lag, 0);
  assert.equal(await copy.readCommitted((view) => view.keyValue("counts").range(undefined, undefined, 10).length), 2, "a and b");
  standbys.release("0_0");
  assert.equal(standbys.staleCopy("0_0"), undefined);
  assert.equal(standbys.promotedLag("0_0"), 0, "the promoted task restores from a copy that was caught up");
  standbys.assign(["0_0"]);
  assert.equal(standbys.promotedLag("0_0"), undefined, "a standby again");
});

test("a standby closes when its task becomes active here, and does not open again while the task is active", async (t) => {
  const cluster = new FakeCluster({ in: 1, out: 1, [changelog]: 1 });
  let active = false;
  const { standbys } = standbyOn(t, cluster, tempDir(t), () => active);
  standbys.assign(["0_0"]);
  await standbys.whenRoundDone();
  assert.deepEqual(standbys.ids(), ["0_0"]);
  active = true;
  standbys.release("0_0");
  assert.deepEqual(standbys.ids(), []);
  await standbys.whenRoundDone();
  await standbys.whenRoundDone();
  assert.deepEqual(standbys.ids(), [], "still wanted by the old map, but active here");
  active = false;
  await standbys.whenRoundDone();
  assert.deepEqual(standbys.ids(), ["0_0"], "active elsewhere again: the standby reopens on the same file");
});

test("a standby whose checkpoint is at the end reads nothing, and an unassigned standby closes keeping its file", async (t) => {
  const cluster = new FakeCluster({ in: 1, out: 1, [changelog]: 1 });
  const dir = tempDir(t);
  const { standbys, reader } = standbyOn(t, cluster, dir);
  standbys.assign(["0_0"]);
  await standbys.whenRoundDone();
  await standbys.whenRoundDone();
  assert.deepEqual(reader.reads, []);
  standbys.assign([]);
  assert.deepEqual(standbys.ids(), []);
  const b = new StreamsBuilder();
  b.stream("in", { key: serdes.string(), value: serdes.string() }).groupByKey().count({ store: "counts" });
  const file = StandbyTask.open({
    subTopology: b.build().forApplication("app").subTopologies[0]!,
    partition: 0,
    applicationId: "app",
    statePath: join(dir, "app", "0_0.sqlite"),
    cacheMaxBytes: 0,
    pageCacheBytes: 65536,
    metrics: new WeirMetrics("app", { tasksOwned: () => 0, stores: () => [] }),
  });
  assert.equal(file.position(`${changelog}:0`), "0");
  file.close();
});

test("a task of no stateful sub-topology gets no standby even if the map names it", async (t) => {
  const cluster = new FakeCluster({ in: 1, out: 1, [changelog]: 1 });
  const { standbys } = standbyOn(t, cluster, tempDir(t));
  standbys.assign(["0_0", "1_0"]);
  await standbys.whenRoundDone();
  assert.deepEqual(standbys.ids(), ["0_0"]);
});

test("without standbys /metrics carries no standby metric", async () => {
  const metrics = new WeirMetrics("app", { tasksOwned: () => 0, stores: () => [] });
  assert.doesNotMatch(await metrics.text(), /weir_standby/);
  metrics.standbyLagRecords("0_0", "counts", 3);
  assert.match(await metrics.text(), /weir_standby_lag_records\{application="app",task="0_0",store="counts"\} 3/);
});

test("a static member's standbys are named by its groupInstanceId, so a restart without a rebalance finds them; else by a UUID per run", (t) => {
  const b = new StreamsBuilder();
  b.stream("in", { key: serdes.string(), value: serdes.string() }).groupByKey().count({ store: "counts" });
  const topology = b.build().forApplication("app");
  const options = (groupInstanceId?: string) => ({
    topology,
    config: resolveConfig({ applicationId: "app", bootstrapServers: "127.0.0.1:1", stateDir: tempDir(t), numStandbyReplicas: 1, ...(groupInstanceId ? { groupInstanceId } : {}) }),
    logger: createLogger("silent"),
    metrics: new WeirMetrics("app", { tasksOwned: () => 0, stores: () => [] }),
    admin: new FakeAdmin(new FakeCluster({})),
    reader: new FakePartitionReader(new FakeCluster({})),
    isActive: () => false,
  });
  assert.equal(new StandbyTasks(options("orders-1")).processId, "orders-1");
  assert.match(new StandbyTasks(options()).processId, /^[0-9a-f-]{36}$/);
  assert.deepEqual(Object.keys(new StandbyTasks(options("orders-1")).memberInfo()).sort(), ["positions", "processId", "standbys"]);
});
