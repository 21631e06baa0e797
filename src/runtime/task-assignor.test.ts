import { test } from "node:test";
import assert from "node:assert/strict";
import { assignStandbys, assignTasks } from "./task-assignor.ts";

const tasks = ["0_0", "0_1", "0_2", "0_3", "0_4", "0_5"];
const member = (memberId: string, owned: string[] = [], withState: string[] = []) => ({ memberId, owned, withState });

test("tasks are spread evenly over new members", () => {
  const plan = assignTasks(tasks, [member("a"), member("b"), member("c")]);
  assert.deepEqual([...plan.values()].map((t) => t.length), [2, 2, 2]);
  assert.deepEqual(new Set([...plan.values()].flat()), new Set(tasks));
});

test("a task stays with the member that ran it", () => {
  const plan = assignTasks(tasks, [member("a", ["0_5", "0_4"]), member("b", ["0_0", "0_1"]), member("c", ["0_2", "0_3"])]);
  assert.deepEqual(plan.get("a"), ["0_4", "0_5"]);
  assert.deepEqual(plan.get("b"), ["0_0", "0_1"]);
  assert.deepEqual(plan.get("c"), ["0_2", "0_3"]);
});

test("a dead member's tasks go to the member that holds their state files", () => {
  // "c" died; its replacement "d" restarted on c's state directory.
  const plan = assignTasks(tasks, [member("a", ["0_0", "0_1"]), member("b", ["0_2", "0_3"]), member("d", [], ["0_4", "0_5"])]);
  assert.deepEqual(plan.get("d"), ["0_4", "0_5"]);
});

test("no member gets more than its share even if it owned more", () => {
  const plan = assignTasks(tasks, [member("a", tasks), member("b")]);
  assert.equal(plan.get("a")!.length, 3);
  assert.equal(plan.get("b")!.length, 3);
});

test("every task is assigned once when members outnumber tasks", () => {
  const plan = assignTasks(["0_0", "0_1"], [member("a"), member("b"), member("c")]);
  assert.deepEqual([...plan.values()].flat().sort(), ["0_0", "0_1"]);
});

test("task ids sort by partition number, not as text", () => {
  const plan = assignTasks(["0_10", "0_9", "1_0"], [member("a")]);
  assert.deepEqual(plan.get("a"), ["0_9", "0_10", "1_0"]);
});

test("a dead member's task goes to the member running its standby, before one holding an old state file", () => {
  const withStandbys = (memberId: string, owned: string[], withState: string[], standbys: string[]) => ({ memberId, owned, withState, standbys });
  const plan = assignTasks(["0_0", "0_1"], [withStandbys("a", [], ["0_1"], []), withStandbys("b", [], ["0_1"], ["0_1"])]);
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
