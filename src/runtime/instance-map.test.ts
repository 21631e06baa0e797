import { test } from "node:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { StateFile, stateFilePath } from "../state/state-file.ts";
import assert from "node:assert/strict";
import { resolveConfig } from "./config.ts";
import { parseUserData, taskPlanner } from "./group-planner.ts";
import { InstanceMap } from "./instance-map.ts";
import { createLogger } from "./logger.ts";
import { serdes } from "../serdes/serde.ts";
import { StreamsBuilder } from "../topology/streams-builder.ts";

test("the map survives its trip through the assignment's user data", () => {
  const map = new InstanceMap(new Map([[0, 3]]), new Map([["0_0", "a:1"], ["0_1", "b:2"], ["0_2", null]]), ["c:3"]);
  const back = InstanceMap.decode(map.encode())!;
  assert.equal(back.partitionCount(0), 3);
  assert.equal(back.partitionCount(1), undefined);
  assert.equal(back.ownerOf("0_1"), "b:2");
  assert.equal(back.ownerOf("0_2"), null);
  assert.equal(back.ownerOf("0_3"), undefined);
  assert.deepEqual(back.servers(), ["a:1", "b:2", "c:3"]);
  assert.deepEqual(back.tasksOf("a:1"), ["0_0"]);
  assert.deepEqual(back.tasksOf("c:3"), []);
});

test("user data that is not a map of this version decodes to nothing", () => {
  assert.equal(InstanceMap.decode(undefined), undefined);
  assert.equal(InstanceMap.decode(Buffer.alloc(0)), undefined);
  assert.equal(InstanceMap.decode(Buffer.from("not json")), undefined);
  assert.equal(InstanceMap.decode(Buffer.from('{"version":2,"partitions":{},"owners":{}}')), undefined);
});

test("the leader's plan names, for every task, the applicationServer of the member it gave the task to", () => {
  const b = new StreamsBuilder();
  b.stream("payments", { key: serdes.string(), value: serdes.json<{ amount: number }>() }).groupByKey().count({ store: "counts" });
  const topology = b.build();
  const config = resolveConfig({ applicationId: "app", bootstrapServers: "x:1", stateDir: "/nonexistent-weir-test" });
  const planner = taskPlanner(topology, config, createLogger("silent", {}), { owned: () => [], applicationServer: () => null });
  const member = (memberId: string, server: string | null, owned: string[]) => ({ memberId, userData: Buffer.from(JSON.stringify({ owned, withState: [], server })) });
  const plan = planner.assign([member("m1", "h1:80", ["0_0", "0_2"]), member("m2", "h2:80", ["0_1"]), member("m3", null, [])], (t) => (t === "payments" || t.endsWith("-changelog") ? 4 : 0));
  const map = InstanceMap.decode(plan.userData)!;
  assert.equal(map.partitionCount(0), 4);
  for (const [memberId, topics] of plan.assignments) {
    const server = memberId === "m1" ? "h1:80" : memberId === "m2" ? "h2:80" : null;
    for (const p of topics.get("payments") ?? []) assert.equal(map.ownerOf(`0_${p}`), server, `task 0_${p}`);
  }
  assert.equal(map.ownerOf("0_0"), "h1:80");
  assert.equal(map.ownerOf("0_1"), "h2:80");
  assert.deepEqual(map.servers(), ["h1:80", "h2:80"]);
});

test("a member's user data carries its applicationServer", () => {
  const b = new StreamsBuilder();
  b.stream("in", { key: serdes.string(), value: serdes.string() }).to("out", { key: serdes.string(), value: serdes.string() });
  const config = resolveConfig({ applicationId: "app", bootstrapServers: "x:1", stateDir: "/nonexistent-weir-test" });
  const planner = taskPlanner(b.build(), config, createLogger("silent", {}), { owned: () => ["0_1"], applicationServer: () => "me:8080" });
  assert.deepEqual(JSON.parse(planner.userData().toString()), { owned: ["0_1"], withState: [], server: "me:8080" });
});

test("with standby replicas the leader's map names each process's standbys, never a task that process runs", () => {
  const b = new StreamsBuilder();
  b.stream("payments", { key: serdes.string(), value: serdes.json<{ amount: number }>() }).groupByKey().count({ store: "counts" });
  const config = resolveConfig({ applicationId: "app", bootstrapServers: "x:1", stateDir: "/nonexistent-weir-test", numStandbyReplicas: 1 });
  const planner = taskPlanner(b.build(), config, createLogger("silent", {}), { owned: () => [], applicationServer: () => null, processId: "p0", standbys: () => [] });
  const member = (memberId: string, process: string | undefined, owned: string[], standbys: string[] = []) => ({
    memberId,
    userData: Buffer.from(JSON.stringify({ owned, withState: [], server: null, ...(process ? { process, standbys } : {}) })),
  });
  // m3 runs an older version (no process id): it gets active tasks but no standbys.
  const plan = planner.assign([member("m1", "p1", ["0_0", "0_1"]), member("m2", "p2", ["0_2", "0_3"], ["0_0"]), member("m3", undefined, [])], (t) => (t === "payments" || t.endsWith("-changelog") ? 4 : 0));
  const map = InstanceMap.decode(plan.userData)!;
  const activeOf = (memberId: string) => (plan.assignments.get(memberId)?.get("payments") ?? []).map((p) => `0_${p}`);
  for (const [memberId, process] of [["m1", "p1"], ["m2", "p2"]] as const) for (const task of map.standbysOf(process)) assert.ok(!activeOf(memberId).includes(task), `${task} on ${memberId}`);
  assert.deepEqual([...map.standbysOf("p1"), ...map.standbysOf("p2")].sort(), ["0_0", "0_1", "0_2", "0_3"]);
  assert.ok(map.standbysOf("p2").includes("0_0") || activeOf("m2").includes("0_0"));
});

test("a map from a leader without standbys decodes with none, and a subscription without a process id parses", () => {
  const old = Buffer.from('{"version":1,"partitions":{"0":2},"owners":{"0_0":"a:1","0_1":null},"servers":["a:1"]}');
  assert.deepEqual(InstanceMap.decode(old)!.standbysOf("p1"), []);
  assert.deepEqual(parseUserData(Buffer.from('{"owned":["0_0"],"withState":[],"server":null}')), { owned: ["0_0"], withState: [], server: null, process: null, standbys: [], positions: {}, transactionalId: null });
  assert.deepEqual(InstanceMap.decode(old)!.warmupsOf("p1"), []);
});

test("warm-ups: the leader that can probe keeps a lagging member's tasks where they are, names its warm-ups in the map, and schedules a probe", () => {
  const b = new StreamsBuilder();
  b.stream("payments", { key: serdes.string(), value: serdes.json<{ amount: number }>() }).groupByKey().count({ store: "counts" });
  const config = resolveConfig({ applicationId: "app", bootstrapServers: "x:1", stateDir: "/nonexistent-weir-test", acceptableRecoveryLag: 100 });
  const planned: number[] = [];
  const topology = b.build();
  const plannerWith = (available: boolean) =>
    taskPlanner(topology, config, createLogger("silent", {}), {
      owned: () => [],
      applicationServer: () => null,
      processId: "p0",
      standbys: () => [],
      positions: () => ({}),
      probing: { available: () => available, planned: (n) => planned.push(n) },
    });
  const all = ["0_0", "0_1", "0_2", "0_3"];
  const member = (memberId: string, process: string | undefined, owned: string[], positions: Record<string, number>) => ({
    memberId,
    userData: Buffer.from(JSON.stringify({ owned, withState: [], server: null, ...(process ? { process, standbys: [], positions } : {}) })),
  });
  const counts = (t: string) => (t === "payments" || t.endsWith("-changelog") ? 4 : 0);
  const full = Object.fromEntries(all.map((t) => [t, 5000]));
  const plan = plannerWith(true).assign([member("m1", "p1", all, full), member("m2", "p2", [], {})], counts);
  const map = InstanceMap.decode(plan.userData)!;
  assert.deepEqual(plan.assignments.get("m1")?.get("payments"), [0, 1, 2, 3], "m1 keeps every task while m2 warms up");
  assert.deepEqual(plan.assignments.get("m2")?.get("payments") ?? [], []);
  assert.deepEqual(map.warmupsOf("p2"), ["0_2", "0_3"]);
  assert.deepEqual(map.standbysOf("p2"), ["0_2", "0_3"], "a warm-up runs as a standby");
  assert.deepEqual(planned, [2]);
  // Caught up: the next plan moves them, and places no warm-up.
  const next = plannerWith(true).assign([member("m1", "p1", all, full), member("m2", "p2", [], { "0_2": 5000, "0_3": 4950 })], counts);
  assert.deepEqual(next.assignments.get("m2")?.get("payments"), [2, 3]);
  assert.deepEqual(InstanceMap.decode(next.userData)!.warmupsOf("p2"), []);
  assert.deepEqual(planned, [2, 0]);
  // A client that cannot start a rebalance (kafkajs), or a member of an older version: no warm-ups, tasks move at once.
  for (const [planner, members] of [
    [plannerWith(false), [member("m1", "p1", all, full), member("m2", "p2", [], {})]],
    [plannerWith(true), [member("m1", "p1", all, full), member("m2", undefined, [], {})]],
  ] as const) {
    const moved = planner.assign(members, counts);
    assert.deepEqual(moved.assignments.get("m2")?.get("payments"), [2, 3]);
    assert.deepEqual(InstanceMap.decode(moved.userData)!.warmupsOf("p2"), []);
  }
});

test("a member's user data carries its copies' changelog positions", () => {
  const b = new StreamsBuilder();
  b.stream("payments", { key: serdes.string(), value: serdes.json<{ amount: number }>() }).groupByKey().count({ store: "counts" });
  const config = resolveConfig({ applicationId: "app", bootstrapServers: "x:1", stateDir: "/nonexistent-weir-test" });
  const planner = taskPlanner(b.build(), config, createLogger("silent", {}), { owned: () => ["0_0"], applicationServer: () => null, processId: "p", standbys: () => ["0_1"], positions: () => ({ "0_0": 7, "0_1": 3 }) });
  const data = parseUserData(planner.userData());
  assert.deepEqual(data.positions, { "0_0": 7, "0_1": 3 });
  assert.deepEqual(parseUserData(Buffer.from('{"positions":{"0_0":-1,"x":4,"0_1":"9","0_2":12}}')).positions, { "0_2": 12 }, "only task ids with non-negative numbers");
});

test("a state file no copy has open reports its checkpoint as its position; an open copy's position wins", (t) => {
  const stateDir = mkdtempSync(join(tmpdir(), "weir-planner-"));
  t.after(() => rmSync(stateDir, { recursive: true, force: true }));
  for (const [task, offset] of [["0_2", "42"], ["0_3", "7"]] as const) {
    const file = StateFile.open(stateFilePath(stateDir, "app", task), { cacheMaxBytes: 1 << 20 });
    file.keyValueStore({ name: "counts", keySerde: serdes.string(), valueSerde: serdes.string(), changelogTopic: "app-counts-changelog", changelogPartition: Number(task.slice(2)) });
    file.restore("counts", [], new Map([[`app-counts-changelog:${task.slice(2)}`, offset]]));
    file.close();
  }
  const b = new StreamsBuilder();
  b.stream("payments", { key: serdes.string(), value: serdes.json<{ amount: number }>() }).groupByKey().count({ store: "counts" });
  const config = resolveConfig({ applicationId: "app", bootstrapServers: "x:1", stateDir });
  const planner = taskPlanner(b.build(), config, createLogger("silent", {}), { owned: () => [], applicationServer: () => null, processId: "p", standbys: () => [], positions: () => ({ "0_3": 9 }) });
  const data = parseUserData(planner.userData());
  assert.deepEqual(data.withState.sort(), ["0_2", "0_3"]);
  assert.deepEqual(data.positions, { "0_2": 42, "0_3": 9 });
});

test("the leader's map says where each task's standbys are: the applicationServer of the members keeping them", () => {
  const b = new StreamsBuilder();
  b.stream("payments", { key: serdes.string(), value: serdes.json<{ amount: number }>() }).groupByKey().count({ store: "counts" });
  const config = resolveConfig({ applicationId: "app", bootstrapServers: "x:1", stateDir: "/nonexistent-weir-test", numStandbyReplicas: 1 });
  const planner = taskPlanner(b.build(), config, createLogger("silent", {}), { owned: () => [], applicationServer: () => null, processId: "p0", standbys: () => [] });
  const member = (memberId: string, process: string, server: string | null, owned: string[]) => ({ memberId, userData: Buffer.from(JSON.stringify({ owned, withState: [], server, process, standbys: [] })) });
  const plan = planner.assign([member("m1", "p1", "h1:80", ["0_0"]), member("m2", "p2", "h2:80", ["0_1"]), member("m3", "p3", null, [])], (t) => (t === "payments" || t.endsWith("-changelog") ? 2 : 0));
  const map = InstanceMap.decode(plan.userData)!;
  const serverOf = new Map([["p1", "h1:80"], ["p2", "h2:80"]]);
  for (const task of ["0_0", "0_1"]) {
    const expected = ["p1", "p2", "p3"].filter((p) => map.standbysOf(p).includes(task) && serverOf.has(p)).map((p) => serverOf.get(p)!);
    assert.deepEqual(map.standbyServersOf(task), expected, task);
    assert.ok(!map.standbyServersOf(task).includes(map.ownerOf(task)!), `${task}: never its owner`);
  }
  assert.ok(map.standbyServersOf("0_0").length + map.standbyServersOf("0_1").length + map.standbysOf("p3").length === 2, "one standby per task");
});

test("exactly-once: each member sends its transactional id and the leader's map carries them all", () => {
  const b = new StreamsBuilder();
  b.stream("in", { key: serdes.string(), value: serdes.string() }).to("out", { key: serdes.string(), value: serdes.string() });
  const config = resolveConfig({ applicationId: "app", bootstrapServers: "x:1", stateDir: "/nonexistent-weir-test" });
  const planner = taskPlanner(b.build(), config, createLogger("silent", {}), { owned: () => [], applicationServer: () => null, transactionalId: "app-b" });
  assert.equal(parseUserData(planner.userData()).transactionalId, "app-b");
  const member = (memberId: string, transactionalId?: string) => ({ memberId, userData: Buffer.from(JSON.stringify({ owned: [], withState: [], server: null, ...(transactionalId ? { transactionalId } : {}) })) });
  const map = InstanceMap.decode(planner.assign([member("ma", "app-a"), member("mb", "app-b"), member("mc")], (t) => (t === "in" ? 2 : 0)).userData)!;
  assert.deepEqual(map.transactionalIds(), ["app-a", "app-b"], "a member without one (at-least-once, kafkajs, an older version) adds none");
  assert.deepEqual(InstanceMap.decode(Buffer.from('{"version":1,"partitions":{},"owners":{}}'))!.transactionalIds(), [], "a map of an older leader carries none");
});
