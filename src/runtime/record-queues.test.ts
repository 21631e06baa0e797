import { test } from "node:test";
import assert from "node:assert/strict";
import { RecordQueues, type QueuedRecord } from "./record-queues.ts";

function records(...items: [offset: number, timestamp: number][]): QueuedRecord[] {
  return items.map(([offset, timestampMs]) => ({ message: { offset: String(offset), key: null, value: null, timestamp: String(timestampMs) }, timestampMs }));
}

/** Everything next() hands out now, as `topic@offset` strings. */
function drain(queues: RecordQueues, now = 0): string[] {
  const out: string[] = [];
  for (let run = queues.next(now); run; run = queues.next(now)) for (const m of run.messages) out.push(`${run.topic}@${m.offset}`);
  return out;
}

function started(maxTaskIdleMs: number, from: Record<string, number> = { a: 0, b: 0 }): RecordQueues {
  const queues = new RecordQueues(Object.keys(from), maxTaskIdleMs);
  queues.reset(new Map(Object.entries(from).map(([t, o]) => [t, String(o)])));
  return queues;
}

test("records of two partitions come out in timestamp order, whatever order their batches arrived in", () => {
  const queues = started(0);
  queues.add("a", records([0, 30], [1, 40], [2, 50]), "3");
  queues.add("b", records([0, 10], [1, 35], [2, 60]), "3");
  assert.deepEqual(drain(queues), ["b@0", "a@0", "b@1", "a@1", "a@2", "b@2"]);
  assert.equal(queues.size(), 0);
});

test("consecutive records of one partition come out as one run while they stay the smallest", () => {
  const queues = started(0);
  queues.add("a", records([0, 1], [1, 2], [2, 3], [3, 9]), "4");
  queues.add("b", records([0, 5]), "1");
  const first = queues.next(0)!;
  assert.equal(first.topic, "a");
  assert.deepEqual(first.messages.map((m) => m.offset), ["0", "1", "2"]);
  assert.deepEqual(drain(queues), ["b@0", "a@3"]);
});

test("equal timestamps: the topic listed first goes first", () => {
  const queues = started(0, { a: 0, b: 0 });
  queues.add("b", records([0, 7], [1, 7]), "2");
  queues.add("a", records([0, 7], [1, 8]), "2");
  assert.deepEqual(drain(queues), ["a@0", "b@0", "b@1", "a@1"]);
});

test("maxTaskIdleMs 0: an empty partition with records on the broker not fetched yet is waited for", () => {
  const queues = started(0);
  queues.add("a", records([0, 50]), "1");
  assert.equal(queues.next(0), undefined, "b's end is not known: wait");
  queues.noteEndOffset("b", "4", queues.epoch);
  assert.equal(queues.next(0), undefined, "b has 4 records on the broker: wait");
  queues.add("b", records([0, 10], [1, 20]), "4");
  assert.deepEqual(drain(queues), ["b@0", "b@1"], "b is empty again and still behind its end");
  queues.fetchedUpTo("b", "2", "3", "4");
  assert.deepEqual(drain(queues), ["a@0"], "b's last offsets were transaction markers: it is caught up");
});

test("maxTaskIdleMs 0: a partition never fetched whose start is its end is not waited for", () => {
  const queues = started(0, { a: 0, b: 7 });
  queues.add("a", records([0, 50]), "1");
  queues.noteEndOffset("b", "7", queues.epoch);
  assert.deepEqual(drain(queues), ["a@0"]);
});

test("an end offset asked for before a reset is ignored", () => {
  const queues = started(0);
  const epoch = queues.epoch;
  queues.reset(new Map([["a", "0"], ["b", "3"]]));
  queues.add("a", records([0, 50]), "1");
  queues.noteEndOffset("b", "3", epoch);
  assert.equal(queues.next(0), undefined);
  queues.noteEndOffset("b", "3", queues.epoch);
  assert.deepEqual(drain(queues), ["a@0"]);
});

test("maxTaskIdleMs -1: what is buffered is processed at once", () => {
  const queues = started(-1);
  queues.add("a", records([0, 50], [1, 60]), "9");
  assert.deepEqual(drain(queues), ["a@0", "a@1"]);
});

test("maxTaskIdleMs > 0: a caught-up empty partition is waited for that long, one behind its end until fetched", () => {
  const queues = started(100);
  queues.add("a", records([0, 50]), "1");
  queues.noteEndOffset("b", "0", queues.epoch);
  assert.equal(queues.next(1000), undefined, "the wait starts");
  assert.equal(queues.next(1099), undefined);
  assert.deepEqual(drain(queues, 1100), ["a@0"]);

  const behind = started(100);
  behind.add("a", records([0, 50]), "1");
  behind.noteEndOffset("b", "5", behind.epoch);
  assert.equal(behind.next(0), undefined);
  assert.equal(behind.next(1_000_000), undefined, "records on the broker are always waited for");
});

test("maxTaskIdleMs > 0: records arriving restart the wait", () => {
  const queues = started(100);
  queues.add("a", records([0, 50], [1, 70]), "2");
  queues.noteEndOffset("b", "0", queues.epoch);
  assert.equal(queues.next(0), undefined);
  queues.add("b", records([0, 60]), "1");
  assert.deepEqual(drain(queues, 50), ["a@0", "b@0"]);
  assert.equal(queues.next(60), undefined, "b is empty again: a new wait");
  assert.deepEqual(drain(queues, 160), ["a@1"]);
});

test("a reset drops what is buffered and what was known of the ends", () => {
  const queues = started(0);
  queues.add("a", records([0, 50], [1, 60]), "2");
  queues.add("b", records([0, 10]), "1");
  assert.deepEqual(queues.next(0)!.messages.map((m) => m.offset), ["0"]);
  queues.reset(new Map([["a", "0"], ["b", "1"]]));
  assert.equal(queues.size(), 0);
  queues.add("a", records([0, 50]), "2");
  assert.equal(queues.next(0), undefined, "b's end is unknown again");
});

test("a batch fetched before a seek is dropped below the position fetching starts from", () => {
  const queues = started(-1, { a: 5, b: 0 });
  queues.add("a", records([3, 1], [4, 2], [5, 3], [6, 4]), "7");
  queues.add("a", records([6, 4], [7, 5]), "8");
  assert.deepEqual(drain(queues), ["a@5", "a@6", "a@7"]);
});

test("a batch end that does not continue from the known position is ignored", () => {
  const queues = started(0, { a: 0, b: 10 });
  queues.add("a", records([0, 50]), "1");
  queues.fetchedUpTo("b", "40", "49", "50");
  assert.equal(queues.next(0), undefined);
  queues.fetchedUpTo("b", "10", "49", "50");
  assert.deepEqual(drain(queues), ["a@0"]);
});

test("maxTaskIdleMs 0: a batch whose records are followed by transaction markers up to the end leaves its partition caught up", () => {
  // A partition written in transactions ends in a marker: its last record is at 1, its end at 3 (commit markers
  // at 2). The platformatic fetcher moves past trailing markers itself, so no batch of only markers follows.
  const queues = started(0);
  queues.add("a", records([0, 50]), "1");
  queues.add("b", records([0, 10], [1, 20]), "3", { lastRecord: "1", nextOffset: "3" });
  assert.deepEqual(drain(queues), ["b@0", "b@1", "a@0"], "b is caught up once its records are out: a's record goes on");
});

test("a batch's trailing markers count only once its records are queued", () => {
  const queues = started(0, { a: 0, b: 0 });
  queues.add("a", records([0, 50]), "1");
  // The batch's records were not queued (the task was not running): fetching stays before them.
  queues.add("b", [], "3", { lastRecord: "1", nextOffset: "3" });
  assert.equal(queues.next(0), undefined, "b's records 0 and 1 are still to come");
  queues.add("b", records([0, 10], [1, 20]), "3", { lastRecord: "1", nextOffset: "3" });
  assert.deepEqual(drain(queues), ["b@0", "b@1", "a@0"]);
});
