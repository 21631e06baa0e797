import { test } from "node:test";
import assert from "node:assert/strict";
import type { ProducedRecord } from "../kafka/index.ts";
import { WeirError } from "./errors.ts";
import { maxPendingOutputBytes, OutputTooLargeError, PendingOutputs } from "./pending-outputs.ts";
import { IllegalTaskTransitionError, TaskState } from "./task-state.ts";

function record(topic: string, bytes: number): ProducedRecord {
  return { topic, key: null, value: Buffer.alloc(bytes), timestamp: 0, headers: {} };
}

test("an output larger than its topic accepts is refused at once, and counts nothing", () => {
  const outputs = new PendingOutputs(new Map([["small", 1000]]));
  outputs.add(record("small", 500));
  assert.throws(() => outputs.add(record("small", 2000)), OutputTooLargeError);
  assert.equal(outputs.length, 1);
  assert.equal(outputs.bytes, 500);
});

test("a dead-letter record its topic would refuse stops the task with a WeirError, as no handler may skip it", () => {
  const outputs = new PendingOutputs(new Map([["dlq", 1000]]));
  outputs.addDeadLetter(record("dlq", 100), "record in-0@1");
  assert.throws(
    () => outputs.addDeadLetter(record("dlq", 5000), "record in-0@2"),
    (err: unknown) => err instanceof WeirError && err.code === "WEIR_PRODUCTION_FAILED" && /dead-letter record of record in-0@2/.test(err.message),
  );
  assert.equal(outputs.length, 1);
});

test("truncate drops a failed record's outputs and their bytes; the byte count decides when a commit is due", () => {
  const outputs = new PendingOutputs();
  outputs.add(record("out", maxPendingOutputBytes - 10));
  const mark = outputs.length;
  outputs.add(record("out", 20));
  assert.equal(outputs.overLimit(), true);
  outputs.truncate(mark);
  assert.equal(outputs.overLimit(), false);
  assert.equal(outputs.take().length, 1);
  assert.equal(outputs.bytes, 0);
});

test("task states change only along the allowed transitions; any other throws a typed error", () => {
  const state = new TaskState("0_1");
  state.transition("running");
  state.transition("restoring");
  state.transition("running");
  assert.throws(() => state.transition("running"), (err: unknown) => err instanceof IllegalTaskTransitionError && err.code === "WEIR_ILLEGAL_TASK_TRANSITION" && err.from === "running");
  state.transition("closed");
  assert.throws(() => state.transition("restoring"), IllegalTaskTransitionError);
  assert.equal(state.current, "closed");
});
