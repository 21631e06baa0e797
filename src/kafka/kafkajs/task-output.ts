// How a task's commit reaches Kafka. Exactly-once: one transactional producer per task
// (transactional.id = <applicationId>-<taskId>) writes the outputs and changelog records and commits the
// input offsets in one transaction. At-least-once: the records are sent and acknowledged, then the
// offsets are committed through the group consumer.
import { CompressionTypes, Partitioners, type Kafka, type Message, type Producer, type RecordMetadata } from "kafkajs";
import type { SharedProducer, TaskOutput } from "../port.ts";
import { chunksByBytes } from "../chunks.ts";
import type { ProducedRecord, TopicPartitionOffset } from "../types.ts";

/**
 * Keeps each produce request well under the broker's default message.max.bytes (1 MiB per record
 * batch): a commit after a large fetched batch can hold many megabytes of outputs and changelog records.
 * 256 KiB rather than more: kafkajs groups a request's messages by partition in time quadratic in their
 * number (groupMessagesPerPartition copies the partition's list for every message), which cost ~10% of
 * W1's CPU at 768 KiB (bench/README.md).
 */
const maxChunkBytes = 256 * 1024;
const chunks = (records: readonly ProducedRecord[]) => chunksByBytes(records, maxChunkBytes);

function toTopicMessages(records: readonly ProducedRecord[]): { topic: string; messages: Message[] }[] {
  const byTopic = new Map<string, Message[]>();
  for (const r of records) {
    let list = byTopic.get(r.topic);
    if (!list) byTopic.set(r.topic, (list = []));
    list.push({ key: r.key, value: r.value, partition: r.partition, timestamp: String(r.timestamp), headers: r.headers });
  }
  return [...byTopic].map(([topic, messages]) => ({ topic, messages }));
}

/** Offsets after the last record of each partition written, from the produce responses. */
function endOffsets(records: readonly ProducedRecord[], metadata: readonly RecordMetadata[]): Map<string, string> {
  const counts = new Map<string, number>();
  for (const r of records) {
    if (r.partition === undefined) continue;
    const key = `${r.topic}:${r.partition}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  const ends = new Map<string, string>();
  // A partition may appear in several chunks, each with its own base offset: the first base plus the
  // partition's record count is the offset after its last record (the transaction writes them contiguously).
  for (const m of metadata) {
    const key = `${m.topicName}:${m.partition}`;
    const count = counts.get(key);
    if (count === undefined || m.baseOffset === undefined) continue;
    const end = BigInt(m.baseOffset) + BigInt(count);
    const previous = ends.get(key);
    if (previous === undefined || end < BigInt(previous)) ends.set(key, end.toString());
  }
  return ends;
}

function groupOffsets(offsets: readonly TopicPartitionOffset[]) {
  const byTopic = new Map<string, { partition: number; offset: string }[]>();
  for (const o of offsets) {
    let list = byTopic.get(o.topic);
    if (!list) byTopic.set(o.topic, (list = []));
    list.push({ partition: o.partition, offset: o.offset });
  }
  return [...byTopic].map(([topic, partitions]) => ({ topic, partitions }));
}

export class TransactionalTaskOutput implements TaskOutput {
  private readonly producer: Producer;
  private readonly groupId: string;

  constructor(kafka: Kafka, transactionalId: string, groupId: string, transactionTimeoutMs: number) {
    this.groupId = groupId;
    this.producer = kafka.producer({
      transactionalId,
      idempotent: true,
      maxInFlightRequests: 1,
      transactionTimeout: transactionTimeoutMs,
      // A transaction begun right after the previous one's EndTxn meets CONCURRENT_TRANSACTIONS until the broker
      // has written the markers; kafkajs's default first retry after 300 ms made that W5's p99 (~400 ms, exactly-once).
      // 20 ms doubling over 10 retries keeps a budget of ~20 s for a fencing that waits on an abort.
      retry: { initialRetryTime: 20, retries: 10 },
      allowAutoTopicCreation: false,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
  }

  async init(): Promise<void> {
    await this.producer.connect();
    // kafkajs sends the transactional InitProducerId (the fencing one) at the first transaction(), not at
    // connect(). An empty transaction does it now; aborting it sends nothing to the broker.
    const fence = await this.producer.transaction();
    await fence.abort();
  }

  async commit(records: readonly ProducedRecord[], offsets: readonly TopicPartitionOffset[]): Promise<Map<string, string>> {
    if (records.length === 0 && offsets.length === 0) return new Map();
    const transaction = await this.producer.transaction();
    try {
      const metadata: RecordMetadata[] = [];
      for (const chunk of chunks(records)) {
        metadata.push(...(await transaction.sendBatch({ acks: -1, compression: CompressionTypes.None, topicMessages: toTopicMessages(chunk) })));
      }
      if (offsets.length > 0) await transaction.sendOffsets({ consumerGroupId: this.groupId, topics: groupOffsets(offsets) });
      await transaction.commit();
      return endOffsets(records, metadata);
    } catch (err) {
      // Aborting can itself fail (a fenced producer cannot end its transaction); the broker aborts it then.
      if (transaction.isActive()) await transaction.abort().catch(() => undefined);
      throw err;
    }
  }

  async close(): Promise<void> {
    await this.producer.disconnect();
  }
}

/** At-least-once: a producer shared by all tasks, and the consumer's offset commit. */
export class AtLeastOnceTaskOutput implements TaskOutput {
  private readonly producer: Producer;
  private readonly commitOffsets: (offsets: readonly TopicPartitionOffset[]) => Promise<void>;

  constructor(producer: Producer, commitOffsets: (offsets: readonly TopicPartitionOffset[]) => Promise<void>) {
    this.producer = producer;
    this.commitOffsets = commitOffsets;
  }

  async init(): Promise<void> {}

  async commit(records: readonly ProducedRecord[], offsets: readonly TopicPartitionOffset[]): Promise<Map<string, string>> {
    const metadata: RecordMetadata[] = [];
    for (const chunk of chunks(records)) metadata.push(...(await this.producer.sendBatch({ acks: -1, topicMessages: toTopicMessages(chunk) })));
    await this.commitOffsets(offsets);
    return endOffsets(records, metadata);
  }

  async close(): Promise<void> {}
}

/** The idempotent producer at-least-once tasks share; each task gets a TaskOutput over it. */
export class KafkajsSharedProducer implements SharedProducer {
  private readonly producer: Producer;
  constructor(kafka: Kafka) {
    this.producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 5,
      allowAutoTopicCreation: false,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
  }
  connect(): Promise<void> {
    return this.producer.connect();
  }
  taskOutput(commitOffsets: (offsets: readonly TopicPartitionOffset[]) => Promise<void>): TaskOutput {
    return new AtLeastOnceTaskOutput(this.producer, commitOffsets);
  }
  disconnect(): Promise<void> {
    return this.producer.disconnect();
  }
}
