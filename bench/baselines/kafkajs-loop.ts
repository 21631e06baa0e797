// The floor a kafkajs-based framework must approach: a raw consume → transform → produce loop with the
// same transform as W1 (bench/workloads/w1-map-filter.ts), run as its own process by bench/run.ts.
//   node bench/baselines/kafkajs-loop.ts --brokers B --input T --output T --group G --guarantee exactly_once|at_least_once
// At-least-once: one idempotent producer, each batch sent and acknowledged, offsets committed every second
// and at the end. Exactly-once: one transactional producer per input partition (as Weir has one per task),
// one transaction per fetched batch with its offsets. Fetch settings are Weir's defaults. Prints one JSON
// line {startMs (group joined), endMs (last offset committed), records}.
import { parseArgs } from "node:util";
import { kafkaClient, type Message, type Producer } from "../lib/kafkajs.ts";
import type { InputValue } from "../lib/records.ts";

const { values: args } = parseArgs({
  options: {
    brokers: { type: "string" },
    input: { type: "string" },
    output: { type: "string" },
    group: { type: "string" },
    guarantee: { type: "string", default: "exactly_once" },
  },
});
const input = args.input!;
const output = args.output!;
const group = args.group!;
const transactional = args.guarantee === "exactly_once";
const kafka = kafkaClient(args.brokers!.split(","), group);

const admin = kafka.admin();
await admin.connect();
const ends = new Map((await admin.fetchTopicOffsets(input)).map((p) => [p.partition, BigInt(p.high)]));
await admin.disconnect();
const total = [...ends.values()].reduce((a, b) => a + b, 0n);

function transform(messages: readonly { key: Buffer | null; value: Buffer | null; timestamp: string }[]): Message[] {
  const out: Message[] = [];
  for (const m of messages) {
    const v = JSON.parse(m.value!.toString("utf8")) as InputValue;
    if (v.amount < 100) continue;
    out.push({ key: m.key, value: Buffer.from(JSON.stringify({ id: v.id, user: v.user, cents: v.amount * 100, sentAt: v.sentAt })), timestamp: m.timestamp });
  }
  return out;
}

const producers = new Map<number, Producer>();
async function producerFor(partition: number): Promise<Producer> {
  const key = transactional ? partition : -1;
  let producer = producers.get(key);
  if (!producer) {
    producer = transactional
      ? kafka.producer({ transactionalId: `${group}-${partition}`, idempotent: true, maxInFlightRequests: 1 })
      : kafka.producer({ idempotent: true, maxInFlightRequests: 5 });
    producers.set(key, producer);
    await producer.connect();
  }
  return producer;
}
if (!transactional) await producerFor(-1);

const consumer = kafka.consumer({ groupId: group, maxBytesPerPartition: 1048576, maxWaitTimeInMs: 500, readUncommitted: false });
let startMs = 0;
consumer.on(consumer.events.GROUP_JOIN, () => (startMs ||= Date.now()));
const committed = new Map<number, bigint>();
let finished!: () => void;
const done = new Promise<void>((resolve) => (finished = resolve));
const noteCommitted = (partition: number, next: bigint) => {
  committed.set(partition, next);
  if ([...ends].every(([p, end]) => (committed.get(p) ?? 0n) >= end)) finished();
};
const pending = new Map<number, bigint>();
let lastCommit = Date.now();
async function commitPending(): Promise<void> {
  const offsets = [...pending].map(([partition, next]) => ({ topic: input, partition, offset: next.toString() }));
  pending.clear();
  lastCommit = Date.now();
  if (offsets.length === 0) return;
  await consumer.commitOffsets(offsets);
  for (const o of offsets) noteCommitted(o.partition, BigInt(o.offset));
}

await consumer.connect();
await consumer.subscribe({ topics: [input], fromBeginning: true });
await consumer.run({
  autoCommit: false,
  partitionsConsumedConcurrently: 3,
  eachBatch: async (payload) => {
    const { batch } = payload;
    if (batch.messages.length === 0) return;
    const last = batch.messages[batch.messages.length - 1]!.offset;
    const next = BigInt(last) + 1n;
    const messages = transform(batch.messages);
    const producer = await producerFor(batch.partition);
    if (transactional) {
      const tx = await producer.transaction();
      try {
        if (messages.length > 0) await tx.send({ topic: output, acks: -1, messages });
        await tx.sendOffsets({ consumerGroupId: group, topics: [{ topic: input, partitions: [{ partition: batch.partition, offset: next.toString() }] }] });
        await tx.commit();
      } catch (err) {
        await tx.abort().catch(() => undefined);
        throw err;
      }
      payload.resolveOffset(last);
      noteCommitted(batch.partition, next);
    } else {
      if (messages.length > 0) await producer.send({ topic: output, acks: -1, messages });
      payload.resolveOffset(last);
      pending.set(batch.partition, next);
      if (Date.now() - lastCommit >= 1000 || next >= (ends.get(batch.partition) ?? 0n)) await commitPending();
    }
  },
});
if (total === 0n) finished();
await done;
const endMs = Date.now();
process.stdout.write(`${JSON.stringify({ startMs, endMs, records: Number(total) })}\n`);
await consumer.disconnect();
for (const p of producers.values()) await p.disconnect();
