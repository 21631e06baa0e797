// The instance's one transactional producer under exactly-once v2: one transaction at a time, the commits
// queued meanwhile joined into the next one under their generation, and a refused commit failing every task in it.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { GroupMetadata, ProducedRecord, TopicPartitionOffset } from "../kafka/index.ts";
import { InstanceTransactions, isTaskMigrated, TaskMigratedError } from "./instance-transactions.ts";
import type { TaskOutputPort } from "./kafka-ports.ts";

const gen = (generationId: number): GroupMetadata => ({ groupId: "app", memberId: "m-1", generationId });

function record(topic: string, partition: number): ProducedRecord {
  return { topic, partition, key: Buffer.from("k"), value: Buffer.from("v"), timestamp: 0, headers: {} };
}

function offset(partition: number, value: string): TopicPartitionOffset {
  return { topic: "in", partition, offset: value };
}

interface Transaction {
  readonly records: readonly ProducedRecord[];
  readonly offsets: readonly TopicPartitionOffset[];
  readonly generation: GroupMetadata | undefined;
  readonly end: { resolve: (ends: Map<string, string>) => void; reject: (err: Error) => void };
}

/** A producer whose transactions end when the test says so; it records each one with the generation it carried. */
function fakeProducer(): { transactions: Transaction[]; inits: number[]; whenTransaction: (n: number) => Promise<Transaction>; make: (g: () => GroupMetadata | undefined) => TaskOutputPort } {
  const transactions: Transaction[] = [];
  const inits: number[] = [];
  const waiters = new Map<number, () => void>();
  return {
    transactions,
    inits,
    whenTransaction: async (n) => {
      if (transactions.length <= n) await new Promise<void>((resolve) => waiters.set(n, resolve));
      return transactions[n]!;
    },
    make: (generation) => ({
      init: async () => {
        inits.push(1);
      },
      commit: (records, offsets) =>
        new Promise((resolve, reject) => {
          transactions.push({ records, offsets, generation: generation(), end: { resolve, reject } });
          waiters.get(transactions.length - 1)?.();
        }),
      close: async () => {},
    }),
  };
}

test("commits asked for while a transaction is in flight go together into the next one, under their generation", async () => {
  const producer = fakeProducer();
  const instance = new InstanceTransactions(producer.make);
  const a = instance.forTask(() => gen(3));
  const b = instance.forTask(() => gen(3));
  const first = a.commit([record("out", 0)], [offset(0, "10")]);
  const inFlight = await producer.whenTransaction(0);
  assert.deepEqual(inFlight.generation, gen(3));
  const second = a.commit([record("app-counts-changelog", 0)], [offset(0, "12")]);
  const third = b.commit([record("app-counts-changelog", 1)], [offset(1, "7")]);
  assert.equal(producer.transactions.length, 1, "one transaction at a time");
  inFlight.end.resolve(new Map([["out:0", "1"]]));
  assert.deepEqual(await first, new Map([["out:0", "1"]]));
  const next = await producer.whenTransaction(1);
  assert.deepEqual(next.offsets, [offset(0, "12"), offset(1, "7")]);
  assert.equal(next.records.length, 2);
  const ends = new Map([["app-counts-changelog:0", "5"], ["app-counts-changelog:1", "9"]]);
  next.end.resolve(ends);
  assert.deepEqual(await second, ends);
  assert.deepEqual(await third, ends);
  await instance.close();
});

test("a refused transaction fails the commit of every task in it", async () => {
  const producer = fakeProducer();
  const instance = new InstanceTransactions(producer.make);
  const blocker = instance.forTask(() => gen(4)).commit([], [offset(2, "1")]);
  const first = await producer.whenTransaction(0);
  const a = instance.forTask(() => gen(4)).commit([record("out", 0)], [offset(0, "3")]);
  const b = instance.forTask(() => gen(4)).commit([record("out", 1)], [offset(1, "4")]);
  first.end.resolve(new Map());
  await blocker;
  const refused = await producer.whenTransaction(1);
  refused.end.reject(Object.assign(new Error("The provided generation id is not the current generation."), { type: "ILLEGAL_GENERATION" }));
  await assert.rejects(a, (err) => isTaskMigrated(err));
  await assert.rejects(b, (err) => isTaskMigrated(err));
  await instance.close();
});

test("a task not in the member's current assignment cannot commit: nothing is written", async () => {
  const producer = fakeProducer();
  const instance = new InstanceTransactions(producer.make);
  await assert.rejects(instance.forTask(() => undefined).commit([record("out", 0)], [offset(0, "1")]), TaskMigratedError);
  assert.equal(producer.transactions.length, 0);
  await instance.close();
});

test("commits of two generations never share a transaction: the older one goes alone, under its own generation", async () => {
  const producer = fakeProducer();
  const instance = new InstanceTransactions(producer.make);
  const blocker = instance.forTask(() => gen(5)).commit([], [offset(0, "1")]);
  const first = await producer.whenTransaction(0);
  const old = instance.forTask(() => gen(5)).commit([], [offset(1, "2")]);
  const current = instance.forTask(() => gen(6)).commit([], [offset(2, "3")]);
  first.end.resolve(new Map());
  await blocker;
  const second = await producer.whenTransaction(1);
  assert.deepEqual([second.generation, second.offsets], [gen(5), [offset(1, "2")]]);
  second.end.reject(Object.assign(new Error("illegal generation"), { type: "ILLEGAL_GENERATION" }));
  await assert.rejects(old);
  const third = await producer.whenTransaction(2);
  assert.deepEqual([third.generation, third.offsets], [gen(6), [offset(2, "3")]]);
  third.end.resolve(new Map());
  await current;
  await instance.close();
});

test("the instance's producer is initialised once, not per task", async () => {
  const producer = fakeProducer();
  const instance = new InstanceTransactions(producer.make);
  await instance.init();
  await instance.forTask(() => gen(1)).init();
  await instance.forTask(() => gen(1)).init();
  assert.equal(producer.inits.length, 1);
  await instance.close();
});
