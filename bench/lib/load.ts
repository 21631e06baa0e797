// Fills a topic with generated records as fast as kafkajs allows: large batches, several in flight.
import { CompressionTypes, kafkaClient, type Message } from "./kafkajs.ts";
import type { InputRecord } from "./records.ts";

export async function loadTopic(
  brokers: readonly string[],
  topic: string,
  count: number,
  recordAt: (i: number) => InputRecord,
): Promise<{ ms: number }> {
  const producer = kafkaClient(brokers, "weir-bench-loader").producer({ allowAutoTopicCreation: false, maxInFlightRequests: 8 });
  await producer.connect();
  const started = performance.now();
  const batch = 5000;
  const inFlight = new Set<Promise<unknown>>();
  try {
    for (let from = 0; from < count; from += batch) {
      const messages: Message[] = [];
      for (let i = from; i < Math.min(count, from + batch); i++) {
        const r = recordAt(i);
        messages.push({ key: r.key, value: r.value, partition: r.partition, timestamp: String(r.timestamp) });
      }
      const sent: Promise<unknown> = producer.send({ topic, acks: 1, compression: CompressionTypes.None, messages }).finally(() => inFlight.delete(sent));
      inFlight.add(sent);
      if (inFlight.size >= 4) await Promise.race(inFlight);
    }
    await Promise.all(inFlight);
  } finally {
    await producer.disconnect();
  }
  return { ms: performance.now() - started };
}
