// The producer the runtime writes outputs with: idempotent, acks=all, the Java-compatible partitioner.
import { CompressionTypes, Partitioners, type Kafka, type Message, type Producer } from "kafkajs";
import type { ProducedRecord } from "./types.ts";

export class RecordProducer {
  private readonly producer: Producer;

  constructor(kafka: Kafka) {
    this.producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 5,
      allowAutoTopicCreation: false,
      // murmur2 as in Kafka's Java client, so keys land where other Kafka producers put them.
      createPartitioner: Partitioners.DefaultPartitioner,
    });
  }

  async connect(): Promise<void> {
    await this.producer.connect();
  }

  /** Sends the records and resolves once every one is acknowledged by all in-sync replicas. */
  async send(records: readonly ProducedRecord[]): Promise<void> {
    if (records.length === 0) return;
    const byTopic = new Map<string, Message[]>();
    for (const r of records) {
      let list = byTopic.get(r.topic);
      if (!list) byTopic.set(r.topic, (list = []));
      list.push({
        key: r.key,
        value: r.value,
        partition: r.partition,
        timestamp: String(r.timestamp),
        headers: r.headers,
      });
    }
    await this.producer.sendBatch({
      acks: -1,
      compression: CompressionTypes.None,
      topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
    });
  }

  async disconnect(): Promise<void> {
    await this.producer.disconnect();
  }
}
