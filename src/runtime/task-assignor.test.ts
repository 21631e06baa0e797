import { test } from "node:test";
import assert from "node:assert/strict";
import { assignStandbys, assignTasks } from "./task-assignor.ts";

const tasks = ["0_0", "0_1", "0_2", "0_3", "0_4", "0_5"];
const member = (memberId: string, owned: string[] = [], withState: string[] = []) => ({ memberId, owned, withState });

test("tasks are spread evenly over new members", () => {
  const plan = assignTasks(tasks, [member("a"), member("b"), member("c")]).active;
  assert.deepEqual([...plan.values()].map((t) => t.length), [2, 2, 2]);
  assert.deepEqual(new Set([...plan.values()].flat()), new Set(tasks));
});

test("a task stays with the member that ran it", () => {
  const plan = assignTasks(tasks, [member("a", ["0_5", "0_4"]), member("b", ["0_0", "0_1"]), member("c", ["0_2", "0_3"])]).active;
  assert.deepEqual(plan.get("a"), ["0_4", "0_5"]);
  assert.deepEqual(plan.get("b"), ["0_0", "0_1"]);
  assert.deepEqual(plan.get("c"), ["0_2", "0_3"]);
});

test("a dead member's tasks go to the member that holds their state files", () => {
  // "c" died; its replacement "d" restarted on c's state directory.
  const plan = assignTasks(tasks, [member("a", ["0_0", "0_1"]), member("b", ["0_2", "0_3"]), member("d", [], ["0_4", "0_5"])]).active;
  assert.deepEqual(plan.get("d"), ["0_4", "0_5"]);
});

test("no member gets more than its share even if it owned more", () => {
  const plan = assignTasks(tasks, [member("a", tasks), member("b")]).active;
  assert.equal(plan.get("a")!.length, 3);
  assert.equal(plan.get("b")!.length, 3);
});

test("a member that joins gets its share even when the others could keep every task within theirs", () => {
  // 4 tasks over 3 members: 2, 1, 1. ceil(4/3) is 2, so a and b could each keep their two; c still gets one.
  const four = ["0_0", "0_1", "0_2", "0_3"];
  const plan = assignTasks(four, [member("a", ["0_0", "0_1"]), member("b", ["0_2", "0_3"]), member("c")]).active;
  assert.deepEqual([...plan.values()].map((t) => t.length).sort(), [1, 1, 2]);
  assert.equal(plan.get("c")!.length, 1);
  assert.deepEqual([...plan.values()].flat().sort(), four);
  // Only one task moved: whoever gives one up keeps the other.
  const moved = [...plan.entries()].flatMap(([m, list]) => list.filter((t) => !(m === "a" ? ["0_0", "0_1"] : m === "b" ? ["0_2", "0_3"] : []).includes(t)));
  assert.deepEqual(moved, plan.get("c"));
});

test("every member ends with floor or ceil of tasks/members, whatever it owned", () => {
  const seven = ["0_0", "0_1", "0_2", "0_3", "0_4", "0_5", "0_6"];
  const plan = assignTasks(seven, [member("a", ["0_0", "0_1", "0_2"]), member("b", ["0_3", "0_4", "0_5"]), member("c", ["0_6"]), member("d")]).active;
  assert.deepEqual([...plan.values()].map((t) => t.length).sort(), [1, 2, 2, 2]);
  assert.deepEqual([...plan.values()].flat().sort(), seven);
  assert.ok(plan.get("c")!.includes("0_6"), "c keeps the task it ran");
});

test("every task is assigned once when members outnumber tasks", () => {
  const plan = assignTasks(["0_0", "0_1"], [member("a"), member("b"), member("c")]).active;
  assert.deepEqual([...plan.values()].flat().sort(), ["0_0", "0_1"]);
});

test("task ids sort by partition number, not as text", () => {
  const plan = assignTasks(["0_10", "0_9", "1_0"], [member("a")]).active;
  assert.deepEqual(plan.get("a"), ["0_9", "0_10", "1_0"]);
});

test("a dead member's task goes to the member running its standby, before one holding an old state file", () => {
  const withStandbys = (memberId: string, owned: string[], withState: string[], standbys: string[]) => ({ memberId, owned, withState, standbys });
  const plan = assignTasks(["0_0", "0_1"], [withStandbys("a", [], ["0_1"], []), withStandbys("b", [], ["0_1"], ["0_1"])]).active;
  assert.deepEqual(plan.get("b"), ["0_1"]);
  assert.deepEqual(plan.get("a"), ["0_0"]);
});

test("a standby is never on its active's member, and one replica per task is the most two members allow", () => {
  const active = new Map([["a", ["0_0", "0_2"]], ["b", ["0_1", "0_3"]]]);
  const standbys = assignStandbys(["0_0", "0_1", "0_2", "0_3"], active, [member("a"), member("b")], 3);
  assert.deepEqual(standbys.get("a"), ["0_1", "0_3"]);
  assert.deepEqual(standbys.get("b"), ["0_0", "0_2"]);
});

test("standbys are spread evenly over the members that do not run the task", () => {
  const active = new Map([["a", ["0_0", "0_1"]], ["b", ["0_2", "0_3"]], ["c", ["0_4", "0_5"]]]);
  const standbys = assignStandbys(tasks, active, [member("a"), member("b"), member("c")], 1);
  assert.deepEqual([...standbys.values()].map((t) => t.length), [2, 2, 2]);
  for (const [memberId, list] of standbys) for (const task of list) assert.ok(!active.get(memberId)!.includes(task));
  assert.deepEqual(new Set([...standbys.values()].flat()), new Set(tasks));
});

test("a standby stays with the member that already keeps it", () => {
  const active = new Map([["a", ["0_0"]], ["b", []], ["c", []]]);
  const standbys = assignStandbys(["0_0"], active, [member("a"), member("b"), { memberId: "c", owned: [], withState: [], standbys: ["0_0"] }], 1);
  assert.deepEqual(standbys.get("c"), ["0_0"]);
  assert.deepEqual(standbys.get("b"), []);
});

test("with no standby replicas asked for, or one member, no standby is assigned", () => {
  const active = new Map([["a", ["0_0"]], ["b", []]]);
  assert.deepEqual([...assignStandbys(["0_0"], active, [member("a"), member("b")], 0).values()].flat(), []);
  assert.deepEqual([...assignStandbys(["0_0"], new Map([["a", ["0_0"]]]), [member("a")], 1).values()].flat(), []);
});

// Warm-up replicas (KIP-441): positions are each copy's changelog checkpoint sum; lag is against the most advanced.
const settings = { acceptableRecoveryLag: 100, maxWarmupReplicas: 2 };
const at = (memberId: string, owned: string[], positions: Record<string, number>, standbys: string[] = []) => ({ memberId, owned, withState: [], standbys, positions });
const four = ["0_0", "0_1", "0_2", "0_3"];
const full = { "0_0": 5000, "0_1": 5000, "0_2": 5000, "0_3": 5000 };

test("a new member whose copies lag keeps none of the tasks it would get: they stay, and it warms them up", () => {
  const plan = assignTasks(four, [at("a", four, full), at("b", [], {})], settings);
  assert.deepEqual(plan.active.get("a"), four);
  assert.deepEqual(plan.active.get("b"), []);
  assert.deepEqual(plan.warmups.get("b"), ["0_2", "0_3"]);
  assert.deepEqual(plan.warmups.get("a"), []);
});

test("once its warm-ups are within acceptableRecoveryLag, the member gets those tasks as active, and no new warm-up", () => {
  const plan = assignTasks(four, [at("a", four, full), at("b", [], { "0_2": 4950, "0_3": 4900 }, ["0_2", "0_3"])], settings);
  assert.deepEqual(plan.active.get("a"), ["0_0", "0_1"]);
  assert.deepEqual(plan.active.get("b"), ["0_2", "0_3"]);
  assert.deepEqual([...plan.warmups.values()].flat(), []);
});

test("a warm-up one record beyond acceptableRecoveryLag is not caught up; one exactly at it is", () => {
  const behind = assignTasks(four, [at("a", four, full), at("b", [], { "0_2": 4899, "0_3": 4900 })], settings);
  assert.deepEqual(behind.active.get("b"), ["0_3"]);
  assert.deepEqual(behind.warmups.get("b"), ["0_2"]);
});

test("warm-ups are bounded by maxWarmupReplicas over the whole group; the tasks beyond it stay put without one", () => {
  const eight = ["0_0", "0_1", "0_2", "0_3", "0_4", "0_5", "0_6", "0_7"];
  const positions = Object.fromEntries(eight.map((t) => [t, 1000]));
  const plan = assignTasks(eight, [at("a", eight, positions), at("b", [], {}), at("c", [], {})], { acceptableRecoveryLag: 10, maxWarmupReplicas: 3 });
  assert.deepEqual(plan.active.get("a"), eight);
  assert.equal([...plan.warmups.values()].flat().length, 3);
  assert.deepEqual([...plan.warmups.values()].flat().sort(), [...new Set([...plan.warmups.values()].flat())].sort(), "one warm-up per task");
  assert.deepEqual(plan.warmups.get("a"), [], "never a warm-up on the task's active member");
});

test("when every copy is caught up (small stores, stateless tasks), tasks are balanced at once without warm-ups", () => {
  const small = { "0_0": 40, "0_1": 40, "0_2": 40, "0_3": 40 };
  const plan = assignTasks(four, [at("a", four, small), at("b", [], {}), at("c", [], {}), at("d", [], {})], settings);
  assert.deepEqual([...plan.active.values()].map((t) => t.length), [1, 1, 1, 1]);
  assert.deepEqual([...plan.warmups.values()].flat(), []);
  const stateless = assignTasks(["1_0", "1_1"], [at("a", ["1_0", "1_1"], {}), at("b", [], {})], settings);
  assert.deepEqual([stateless.active.get("a"), stateless.active.get("b")], [["1_0"], ["1_1"]]);
});

test("a task whose owner is gone goes to the most caught-up member, not the one with an old state file", () => {
  const members = [
    { memberId: "a", owned: [], withState: ["0_0"], positions: { "0_0": 1000 } },
    { memberId: "b", owned: [], withState: ["0_0"], standbys: ["0_0"], positions: { "0_0": 4800 } },
    { memberId: "c", owned: [], withState: [], standbys: ["0_0"], positions: { "0_0": 5000 } },
  ];
  const plan = assignTasks(["0_0"], members, settings);
  assert.deepEqual(plan.active.get("c"), ["0_0"]);
  assert.deepEqual([...plan.warmups.values()].flat(), []);
});

test("a task whose owner is gone goes to its caught-up copy even past that member's share; the member balance picked warms it up", () => {
  // 0_0's owner is gone; b's standby of it is the most advanced copy, but b is full (two tasks each).
  const members = [at("a", ["0_1"], { "0_1": 300 }), at("b", ["0_2", "0_3"], { "0_0": 4000, "0_2": 300, "0_3": 300 }, ["0_0"])];
  const plan = assignTasks(four, members, { acceptableRecoveryLag: 10, maxWarmupReplicas: 2 });
  assert.deepEqual(plan.active.get("b"), ["0_0", "0_2", "0_3"]);
  assert.deepEqual(plan.active.get("a"), ["0_1"]);
  assert.deepEqual(plan.warmups.get("a"), ["0_0"]);
});

test("caught-up copies take their tasks at once while the others warm up; a held-back task stays with its previous owner", () => {
  const three = ["0_0", "0_1", "0_2"];
  const positions = { "0_0": 5000, "0_1": 5000, "0_2": 5000 };
  // b's standbys of 0_1 and 0_2 are caught up; c is new. One task each once balanced.
  const plan = assignTasks(three, [at("a", three, positions), at("b", [], { "0_1": 5000, "0_2": 4990 }, ["0_1", "0_2"]), at("c", [], {})], settings);
  assert.deepEqual(plan.active.get("b"), ["0_1"], "b's caught-up standby of 0_1 takes it over at once");
  assert.deepEqual(plan.active.get("a"), ["0_0", "0_2"], "0_2 would go to c, which lags: it stays with a, its owner, not with b (also caught up)");
  assert.deepEqual(plan.active.get("c"), []);
  assert.deepEqual(plan.warmups.get("c"), ["0_2"]);
});

test("without warm-up settings every copy counts as caught up: tasks move at once, as before", () => {
  const plan = assignTasks(four, [at("a", four, full), at("b", [], {})]);
  assert.deepEqual(plan.active.get("b"), ["0_2", "0_3"]);
  assert.deepEqual([...plan.warmups.values()].flat(), []);
});
