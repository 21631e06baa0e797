// W8's (and W7's) traffic: a producer feeding the input at a fixed rate for the whole run, and a read_committed consumer
// of the output noting, per input partition, the broker's append time (LogAppendTime) of every output record.
import { inputValue } from "./records.ts";
import { kafkaClient, type Message } from "./kafkajs.ts";

export interface Feed {
  /** Records sent so far. */
  sent(): number;
  /** Stops sending and waits for the sends in flight. */
  stop(): Promise<void>;
}

/** Sends `recordsPerSecond` records (keys `key-<k>` over `keys`, key k to partition k mod `partitions`) until stopped. */
export async function startFeed(brokers: readonly string[], topic: string, partitions: number, keys: number, recordsPerSecond: number): Promise<Feed> {
  const producer = kafkaClient(brokers, "weir-bench-w8-feed").producer({ allowAutoTopicCreation: false });
  await producer.connect();
  let sent = 0;
  let stopping = false;
  const inFlight = new Set<Promise<unknown>>();
  let failure: Error | undefined;
  const started = Date.now();
  const loop = (async () => {
    while (!stopping && !failure) {
      const due = Math.floor(((Date.now() - started) / 1000) * recordsPerSecond);
      const messages: Message[] = [];
      const now = Date.now();
      for (; sent < due; sent++) {
        const k = sent % keys;
        const user = `key-${k}`;
        messages.push({ key: user, value: inputValue(sent, user, now), partition: k % partitions });
      }
      if (messages.length > 0) {
        const p: Promise<unknown> = producer
          .send({ topic, acks: -1, messages })
          .catch((err: unknown) => (failure = err as Error))
          .finally(() => inFlight.delete(p));
        inFlight.add(p);
      }
      await new Promise((r) => setTimeout(r, 5));
    }
  })();
  return {
    sent: () => sent,
    stop: async () => {
      stopping = true;
      await loop;
      await Promise.all(inFlight);
      await producer.disconnect();
      if (failure) throw new Error(`feed of ${topic}: ${failure.message}`);
    },
  };
}

export interface OutputLog {
  /** Append times (epoch ms) of the output records of each input partition, in order of arrival. */
  readonly times: readonly number[][];
  /** When each of those records reached this read_committed consumer (epoch ms): when it became visible. */
  readonly arrivals: readonly number[][];
  received(): number;
  stop(): Promise<void>;
}

/**
 * Reads the output (created with message.timestamp.type=LogAppendTime) from the start, read_committed. The
 * output key `key-<k>` names its input partition, k mod `partitions`, whatever partitioner the system used.
 */
export async function collectOutput(brokers: readonly string[], topic: string, partitions: number): Promise<OutputLog> {
  const consumer = kafkaClient(brokers, "weir-bench-w8-output").consumer({ groupId: `weir-bench-w8-${Date.now()}-${Math.random().toString(36).slice(2)}`, maxWaitTimeInMs: 100 });
  const times: number[][] = Array.from({ length: partitions }, () => []);
  const arrivals: number[][] = Array.from({ length: partitions }, () => []);
  let received = 0;
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
  await consumer.run({
    eachBatch: async ({ batch }) => {
      const now = Date.now();
      for (const m of batch.messages) {
        received++;
        const key = m.key?.toString("utf8") ?? "";
        const k = Number(key.slice(key.lastIndexOf("-") + 1));
        times[k % partitions]!.push(Number(m.timestamp));
        arrivals[k % partitions]!.push(now);
      }
    },
  });
  await joined;
  return { times, arrivals, received: () => received, stop: () => consumer.disconnect() };
}

/** A pause of one partition's output: how long, and when it began (epoch ms). */
export interface Gap {
  readonly ms: number;
  readonly from: number;
}

/**
 * Longest gap between consecutive append times of one partition that overlaps [from, to], counted whole (from
 * its start, even before `from`) but up to `cap` at most (the next change: what that one causes is not charged
 * here); a partition with no record after its last one up to `cap` counts that silence.
 */
export function longestGap(times: readonly number[], from: number, to: number, cap = to): Gap {
  const sorted = [...times].sort((a, b) => a - b);
  let longest: Gap = { ms: 0, from };
  for (let i = 1; i < sorted.length; i++) {
    const a = sorted[i - 1]!;
    const b = sorted[i]!;
    if (b >= from && a <= to && Math.min(b, cap) - a > longest.ms) longest = { ms: Math.min(b, cap) - a, from: a };
  }
  const last = sorted.at(-1);
  if (last === undefined) return { ms: cap - from, from };
  return last <= to && cap - last > longest.ms ? { ms: cap - last, from: last } : longest;
}

/** Output records appended in [from, to), per second. */
export function ratePerSecond(times: readonly (readonly number[])[], from: number, to: number): number {
  let n = 0;
  for (const list of times) for (const t of list) if (t >= from && t < to) n++;
  return (n / (to - from)) * 1000;
}
