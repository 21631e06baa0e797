// Plain produce / read / topic helpers for data generators, integration tests and benchmarks,
// so that nothing outside src/kafka imports the client.
import { Partitioners, type Consumer, type Kafka, type KafkaMessage, type Producer } from "kafkajs";
import { createKafka } from "./kafkajs/client.ts";
import type { ConsumedRecord, KafkaHeaders, TopicSpec } from "./types.ts";
import { KafkajsTopicAdmin as TopicAdmin } from "./kafkajs/admin.ts";
import { pino } from "pino";

export interface Connection {
  readonly brokers: readonly string[];
  readonly clientId?: string;
}

/** A client for the tools: warnings and errors only, on stderr. */
export function kafkaFor(connection: Connection): Kafka {
  const logger = pino({ level: "warn" }, pino.destination({ fd: 2, sync: true }));
  return createKafka(
    {
      clientId: connection.clientId ?? "weir-tools",
      brokers: connection.brokers,
      connectionTimeoutMs: 3000,
      requestTimeoutMs: 30000,
    },
    logger,
  );
}

export interface RecordToWrite {
  readonly key: Buffer | string | null;
  readonly value: Buffer | string | null;
  readonly partition?: number;
  readonly timestamp?: number;
  readonly headers?: KafkaHeaders;
}

/** An idempotent producer for test data and generators; records are sent in batches of `batchSize`. */
export class TopicWriter {
  private readonly producer: Producer;
  constructor(connection: Connection) {
    this.producer = kafkaFor(connection).producer({
      idempotent: true,
      maxInFlightRequests: 5,
      createPartitioner: Partitioners.DefaultPartitioner,
      allowAutoTopicCreation: false,
    });
  }
  async connect(): Promise<void> {
    await this.producer.connect();
  }
  async write(topic: string, records: readonly RecordToWrite[], batchSize = 5000): Promise<void> {
    for (let i = 0; i < records.length; i += batchSize) {
      await this.producer.send({
        topic,
        acks: -1,
        messages: records.slice(i, i + batchSize).map((r) => ({
          key: r.key,
          value: r.value,
          partition: r.partition,
          timestamp: r.timestamp === undefined ? undefined : String(r.timestamp),
          headers: r.headers,
        })),
      });
    }
  }
  async close(): Promise<void> {
    await this.producer.disconnect();
  }
}

export interface ReadOptions {
  /** Stop once this many records were read. */
  readonly count?: number;
  /** Stop after this long with no new record once `count` is unset, or fail once `count` is not reached in time. */
  readonly timeoutMs: number;
  /** Skip records of aborted or open transactions (read_committed). Default true. */
  readonly readCommitted?: boolean;
}

/** Reads a topic from the beginning with a throwaway group; returns records in per-partition order. */
export async function readTopic(connection: Connection, topic: string, options: ReadOptions): Promise<ConsumedRecord[]> {
  const kafka = kafkaFor(connection);
  const consumer: Consumer = kafka.consumer({
    groupId: `weir-reader-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}`,
    readUncommitted: options.readCommitted === false,
  });
  const records: ConsumedRecord[] = [];
  let lastArrival = Date.now();
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      eachBatch: async ({ batch }) => {
        for (const m of batch.messages) records.push(consumedRecord(batch.topic, batch.partition, m));
        lastArrival = Date.now();
      },
    });
    const started = Date.now();
    for (;;) {
      await new Promise((r) => setTimeout(r, 100));
      if (options.count !== undefined) {
        if (records.length >= options.count) break;
        if (Date.now() - started > options.timeoutMs) break;
      } else if (Date.now() - lastArrival > options.timeoutMs) {
        break;
      }
    }
  } finally {
    await consumer.disconnect();
  }
  return records;
}

/** Each partition's log start offset (`low`) and end offset (`high`), by partition. */
export async function partitionOffsets(connection: Connection, topic: string): Promise<Map<number, { low: string; high: string }>> {
  const admin = new TopicAdmin(kafkaFor(connection));
  try {
    const low = await admin.earliestOffsets(topic);
    const high = await admin.endOffsets(topic);
    return new Map([...high].map(([partition, end]) => [partition, { low: low.get(partition) ?? "0", high: end }]));
  } finally {
    await admin.close();
  }
}

/** Deletes every record of `topic` (each partition's log start moves to its end), as retention would. */
export async function deleteAllRecords(connection: Connection, topic: string): Promise<void> {
  const admin = new TopicAdmin(kafkaFor(connection));
  try {
    await admin.deleteRecordsBefore(topic, await admin.endOffsets(topic));
  } finally {
    await admin.close();
  }
}

/** The group's committed offset of each partition of `topic` ("-1" where none). */
export async function committedOffsets(connection: Connection, groupId: string, topic: string): Promise<Map<number, string>> {
  const admin = new TopicAdmin(kafkaFor(connection));
  try {
    const offsets = await admin.committedOffsets(groupId, [topic]);
    return new Map([...offsets].map(([key, offset]) => [Number(key.slice(key.lastIndexOf(":") + 1)), offset]));
  } finally {
    await admin.close();
  }
}

export async function createTopics(connection: Connection, specs: readonly TopicSpec[]): Promise<void> {
  const admin = new TopicAdmin(kafkaFor(connection));
  try {
    await admin.createMissing(specs);
  } finally {
    await admin.close();
  }
}

/** A topic's partition count and cleanup policy. */
export async function describeTopic(connection: Connection, topic: string): Promise<{ partitions: number | undefined; cleanupPolicy: string | undefined }> {
  const admin = new TopicAdmin(kafkaFor(connection));
  try {
    const partitions = (await admin.partitionCounts([topic])).get(topic);
    return { partitions, cleanupPolicy: partitions === undefined ? undefined : await admin.topicConfig(topic, "cleanup.policy") };
  } finally {
    await admin.close();
  }
}

export async function deleteTopics(connection: Connection, topics: readonly string[]): Promise<void> {
  const admin = new TopicAdmin(kafkaFor(connection));
  try {
    await admin.deleteTopics(topics);
  } finally {
    await admin.close();
  }
}

function consumedRecord(topic: string, partition: number, message: KafkaMessage): ConsumedRecord {
  return {
    topic,
    partition,
    offset: message.offset,
    key: message.key,
    value: message.value,
    timestamp: Number(message.timestamp),
    headers: (message.headers ?? {}) as KafkaHeaders,
  };
}

/** Calls `onRecord` for every record that arrives on the topics from now on (read_committed); returns a stop function. */
export async function tailTopics(
  connection: Connection,
  topics: readonly string[],
  onRecord: (record: ConsumedRecord) => void,
): Promise<() => Promise<void>> {
  const consumer = kafkaFor(connection).consumer({ groupId: `weir-tail-${process.pid}-${Date.now()}` });
  await consumer.connect();
  await consumer.subscribe({ topics: [...topics], fromBeginning: false });
  await consumer.run({
    eachMessage: async ({ topic, partition, message }) => onRecord(consumedRecord(topic, partition, message)),
  });
  return () => consumer.disconnect();
}
