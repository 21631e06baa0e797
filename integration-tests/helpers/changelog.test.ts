// Reading transactions off a changelog partition's committed offsets (a commit marker takes one offset).
import { test } from "node:test";
import assert from "node:assert/strict";
import { changelogSnapshot, committedBetween, lastTransactionSize, transactionCount } from "./changelog.ts";

// Transaction 1: offsets 0–2, marker 3; transaction 2: 4–5, marker 6; an aborted one: 7–8, marker 9;
// transaction 3: 10–13, marker 14.
const offsets = [0, 1, 2, 4, 5, 10, 11, 12, 13];

test("the last committed transaction is the run of consecutive offsets at the end", () => {
  assert.equal(lastTransactionSize(offsets), 4);
  assert.equal(lastTransactionSize([0, 1, 2, 4]), 1);
  assert.equal(lastTransactionSize([]), 0);
});

test("transactions are counted as runs of consecutive offsets", () => {
  assert.equal(transactionCount(offsets), 3);
  assert.equal(transactionCount([]), 0);
});

test("a replay from a checkpoint to the end reads the committed records in between", () => {
  assert.equal(committedBetween(offsets, 0, 15), 9, "a full replay");
  assert.equal(committedBetween(offsets, 6, 15), 4, "from transaction 2's marker: transaction 3");
  assert.equal(committedBetween(offsets, 14, 15), 0, "from the last marker: nothing");
  assert.equal(committedBetween(offsets, 15, 15), 0, "from the end: nothing");
});

test("a snapshot groups committed offsets by partition in numeric order", () => {
  const snapshot = changelogSnapshot([
    { partition: 1, offset: "10" },
    { partition: 0, offset: "2" },
    { partition: 1, offset: "9" },
  ]);
  assert.deepEqual([...snapshot].sort(), [
    [0, [2]],
    [1, [9, 10]],
  ]);
});
