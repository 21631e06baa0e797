import { test } from "node:test";
import assert from "node:assert/strict";
import { assignTasks } from "./task-assignor.ts";

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
