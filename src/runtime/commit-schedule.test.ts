import { test } from "node:test";
import assert from "node:assert/strict";
import { CommitSchedule } from "./commit-schedule.ts";

const work = { uncommitted: true, outputsOverLimit: false };

test("the wall-clock tick commits processed records once the commit interval has passed, with no batch after them", () => {
  // Records whose batch did not reach its partition's end (an ongoing transaction's records beyond them, or
  // a marker-only batch next, which hands over nothing) are committed by the tick, as Kafka Streams commits
  // every commit.interval.ms whether or not records keep coming.
  const schedule = new CommitSchedule(100);
  const start = Date.now();
  schedule.committed(start);
  assert.equal(schedule.due(start + 50, "processing", work), false, "a batch short of its end, inside the interval");
  assert.equal(schedule.due(start + 50, "tick", work), false, "inside the interval");
  assert.equal(schedule.due(start + 100, "tick", work), true, "the interval has passed");
  assert.equal(schedule.due(start + 100, "tick", { uncommitted: false, outputsOverLimit: false }), false, "nothing to commit");
});

test("a request (a batch at its partition's end) makes a commit due at once, until the commit is prepared", () => {
  const schedule = new CommitSchedule(100);
  const start = Date.now();
  schedule.committed(start);
  schedule.request();
  assert.equal(schedule.due(start, "processing", work), true);
  schedule.preparing();
  assert.equal(schedule.due(start, "processing", work), false);
});
