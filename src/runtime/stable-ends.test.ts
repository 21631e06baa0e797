import { test } from "node:test";
import assert from "node:assert/strict";
import { checkpointStillBeyond } from "./stable-ends.ts";

/** A changelog partition whose end reads `answers` one after the other (the last one stays), against checkpoint 791. */
function partition(answers: number[]) {
  let end = answers.shift()!;
  let reads = 1;
  return {
    reads: () => reads,
    check: (cancelled = () => false) => ({
      beyond: () => (791 > end ? `checkpoint 791 is past the changelog's end ${end}` : undefined),
      reread: async () => {
        reads++;
        if (answers.length > 0) end = answers.shift()!;
      },
      cancelled,
      attempts: 5,
      waitMs: 1,
    }),
  };
}

test("an end below the checkpoint that catches up (markers of the task's own commit being written) keeps the file", async () => {
  const p = partition([0, 0, 791]);
  assert.deepEqual(await checkpointStillBeyond(p.check()), {});
  assert.equal(p.reads(), 3);
});

test("an end that stays below the checkpoint (the changelog was recreated) is reported after the attempts", async () => {
  const p = partition([0]);
  assert.match((await checkpointStillBeyond(p.check())).beyond ?? "", /checkpoint 791 is past the changelog's end 0/);
  assert.equal(p.reads(), 6);
});

test("a checkpoint within the end needs no second read; a newer rebalance cancels the wait", async () => {
  const fine = partition([800]);
  assert.deepEqual(await checkpointStillBeyond(fine.check()), {});
  assert.equal(fine.reads(), 1);
  assert.deepEqual(await checkpointStillBeyond(partition([0]).check(() => true)), { cancelled: true });
});
