// W5: end-to-end latency at a fixed input rate. Records carry their wall-clock send time in the value
// (`sentAt`); a read_committed consumer of the output notes arrival time minus send time, so an
// exactly-once output counts as arrived only once its transaction is committed.
import { inputValue } from "./records.ts";
import { kafkaClient, type Message } from "./kafkajs.ts";
import { quantile } from "./stats.ts";

export interface LatencyOptions {
  readonly brokers: readonly string[];
  readonly input: string;
  readonly output: string;
  readonly partitions: number;
  readonly recordsPerSecond: number;
  readonly durationMs: number;
  /** Records sent in the first `warmupMs` are left out of the percentiles. */
  readonly warmupMs: number;
}

export interface LatencyResult {
  readonly sent: number;
  readonly measured: number;
  readonly p50: number;
  readonly p99: number;
  readonly p999: number;
  readonly max: number;
}

export async function measureLatency(options: LatencyOptions): Promise<LatencyResult> {
  const kafka = kafkaClient(options.brokers, "weir-bench-latency");
  const consumer = kafka.consumer({ groupId: `weir-bench-latency-${Date.now()}-${Math.random().toString(36).slice(2)}`, maxWaitTimeInMs: 100 });
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  const latencies: number[] = [];
  let received = 0;
  let measureFrom = Number.POSITIVE_INFINITY;
  await consumer.connect();
  await consumer.subscribe({ topics: [options.output], fromBeginning: true });
  const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
  await consumer.run({
    eachBatch: async ({ batch }) => {
      const now = Date.now();
      for (const m of batch.messages) {
        received++;
        const sentAt = (JSON.parse(m.value!.toString("utf8")) as { sentAt: number }).sentAt;
        if (sentAt >= measureFrom) latencies.push(now - sentAt);
      }
    },
  });
  await joined;
  await producer.connect();
  let sent = 0;
  try {
    const started = Date.now();
    measureFrom = started + options.warmupMs;
    const inFlight = new Set<Promise<unknown>>();
    while (Date.now() - started < options.durationMs) {
      const due = Math.floor(((Date.now() - started) / 1000) * options.recordsPerSecond);
      const messages: Message[] = [];
      const now = Date.now();
      for (; sent < due; sent++) {
        const k = sent % 100_000;
        const user = `key-${k}`;
        messages.push({ key: user, value: inputValue(sent, user, now), partition: k % options.partitions });
      }
      if (messages.length > 0) {
        const p: Promise<unknown> = producer.send({ topic: options.input, acks: -1, messages }).finally(() => inFlight.delete(p));
        inFlight.add(p);
      }
      await new Promise((r) => setTimeout(r, 5));
    }
    await Promise.all(inFlight);
    // Drain: W1 keeps 90% of the records; wait until nothing new arrives for 2 s.
    let last = -1;
    while (received !== last) {
      last = received;
      await new Promise((r) => setTimeout(r, 2000));
    }
  } finally {
    await producer.disconnect();
    await consumer.disconnect();
  }
  const sorted = latencies.sort((a, b) => a - b);
  return {
    sent,
    measured: sorted.length,
    p50: quantile(sorted, 0.5),
    p99: quantile(sorted, 0.99),
    p999: quantile(sorted, 0.999),
    max: sorted[sorted.length - 1] ?? Number.NaN,
  };
}
