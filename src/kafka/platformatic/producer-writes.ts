// An idempotent producer's records (a transaction's, or the at-least-once producer's) on their way to the
// partitions' leaders, as Kafka's idempotent producer sends them
// (docs/architecture.md, "Exactly-once, per client"): records grouped by partition in the order given, each
// partition's records cut into record batches under the broker's size limit and numbered with the producer's
// sequence for that partition, the batches of one leader sent together (one batch per partition per request),
// a partition's next batch only once its previous one is written. A retriable error (a leader moved, a broker
// restarting) sends the same batches again: their sequence numbers let the broker drop what it already wrote.
import { kGetConnection, NetworkError, ProtocolError, protocolErrorsCodesById, type ClusterMetadata, type Connection, type MessageRecord, type Producer } from "@platformatic/kafka";
import { recordBytes } from "../chunks.ts";
import { partitionForKey } from "../partitioner.ts";
import type { ProducedRecord } from "../types.ts";
import { retries, retryDelay } from "./options.ts";
import { encodeRecordBatch, nextSequence, produce, type ProduceTopic, type ProducerIdentity } from "./raw-produce.ts";

type Transaction = Awaited<ReturnType<Producer["beginTransaction"]>>;

/** Under the broker's default message.max.bytes (1 MiB per record batch), with room for batch overhead. */
const maxBatchBytes = 768 * 1024;
/** One Produce request's batches together, well under socket.request.max.bytes (100 MiB). */
const maxRequestBytes = 16 * 1024 * 1024;

interface PartitionWrites {
  readonly topic: string;
  readonly partition: number;
  /** The partition's record batches, in order, and how many records each holds. */
  readonly batches: { readonly bytes: Buffer; readonly count: number }[];
  /** The first batch not yet written. */
  next: number;
  /** The offset after the last record written so far. */
  end: bigint | undefined;
}

function kafkaError(code: number, message: string | null, where: string): Error {
  if (protocolErrorsCodesById[code] === undefined) return new Error(`producing to ${where} failed with Kafka error ${code}${message ? `: ${message}` : ""}`);
  return new ProtocolError(code, message ?? undefined, { path: where });
}

/** Partitions records without one as Kafka's Java producer does: murmur2 of the key, round robin without. */
class Partitioning {
  private roundRobin = 0;

  partitionOf(r: ProducedRecord, partitionCount: number): number {
    if (r.partition !== undefined) return r.partition;
    if (r.key !== null) return partitionForKey(r.key, partitionCount);
    return (this.roundRobin++ & 0x7fffffff) % partitionCount;
  }
}

/**
 * The records of one idempotent producer id and epoch (a new epoch, or a new id, needs a new one: the sequence
 * numbers start again). One write at a time: a partition's batches must reach its leader in sequence order.
 */
export class ProducerWrites {
  private readonly producer: Producer;
  private readonly transactionalId: string | null;
  private readonly ackTimeoutMs: number;
  /** The next sequence number per `topic:partition`, for this producer id and epoch. */
  private readonly sequences = new Map<string, number>();
  private readonly partitioning = new Partitioning();
  /** The write in progress (or the last); the next waits for it. */
  private tail: Promise<unknown> = Promise.resolve();
  /** Why a write failed: the partitions' next sequence numbers are unknown since, so every later write fails too. */
  private failure: Error | undefined;

  /** `transactionalId` null: the at-least-once producer, whose writes are in no transaction. */
  constructor(producer: Producer, transactionalId: string | null, ackTimeoutMs: number) {
    this.producer = producer;
    this.transactionalId = transactionalId;
    this.ackTimeoutMs = ackTimeoutMs;
  }

  /** Writes `records` (in `transaction`, if any); resolves with, per `topic:partition`, the offset after the last record. */
  write(records: readonly ProducedRecord[], transaction?: Transaction): Promise<Map<string, string>> {
    const run = this.tail.then(async () => {
      if (this.failure !== undefined) throw this.failure;
      try {
        return await this.writeNow(records, transaction);
      } catch (err) {
        this.failure = err instanceof Error ? err : new Error(String(err));
        throw err;
      }
    });
    this.tail = run.catch(() => undefined);
    return run;
  }

  /** True once a write failed: the producer needs a new epoch (or id) and this a successor. */
  get failed(): boolean {
    return this.failure !== undefined;
  }

  private async writeNow(records: readonly ProducedRecord[], transaction: Transaction | undefined): Promise<Map<string, string>> {
    const ends = new Map<string, string>();
    if (records.length === 0) return ends;
    const topicSet = new Set<string>();
    for (const r of records) topicSet.add(r.topic);
    const topics = [...topicSet];
    let metadata = await this.producer.metadata({ topics });
    const byPartition = this.group(records, metadata) ?? this.group(records, (metadata = await this.producer.metadata({ topics, forceUpdate: true })));
    if (!byPartition) throw new Error(this.partitionOutOfRange(records, metadata));
    // AddPartitionsToTxn for the partitions not in the transaction yet (the client keeps track).
    await transaction?.addPartitions(metadata, byPartition.map(({ topic, partition }) => ({ topic, partition }) as MessageRecord));
    const writes = byPartition.map(({ topic, partition, records: recs }) => this.batches(topic, partition, recs));
    await this.send(writes, metadata, topics);
    for (const w of writes) ends.set(`${w.topic}:${w.partition}`, w.end!.toString());
    return ends;
  }

  /** The records by topic and partition, in order; undefined when a record names a partition the topic does not have. */
  private group(records: readonly ProducedRecord[], metadata: ClusterMetadata): { topic: string; partition: number; records: ProducedRecord[] }[] | undefined {
    const out: { topic: string; partition: number; records: ProducedRecord[] }[] = [];
    let topic: string | undefined;
    let count = 0;
    let partitions: (ProducedRecord[] | undefined)[] = [];
    const byTopic = new Map<string, (ProducedRecord[] | undefined)[]>();
    for (const r of records) {
      if (r.topic !== topic) {
        topic = r.topic;
        const known = metadata.topics.get(topic)?.partitionsCount;
        if (known === undefined) return undefined;
        count = known;
        let list = byTopic.get(topic);
        if (!list) byTopic.set(topic, (list = []));
        partitions = list;
      }
      const partition = this.partitioning.partitionOf(r, count);
      if (!(partition >= 0 && partition < count)) return undefined;
      let list = partitions[partition];
      if (!list) {
        partitions[partition] = list = [];
        out.push({ topic, partition, records: list });
      }
      list.push(r);
    }
    return out;
  }

  private partitionOutOfRange(records: readonly ProducedRecord[], metadata: ClusterMetadata): string {
    for (const r of records) {
      const count = metadata.topics.get(r.topic)?.partitionsCount;
      if (count === undefined) return `topic ${r.topic} is not in the cluster's metadata`;
      if (r.partition !== undefined && (r.partition < 0 || r.partition >= count)) return `a record for ${r.topic} names partition ${r.partition}, and the topic has ${count}`;
    }
    return "a record's partition is out of its topic's range";
  }

  /** A partition's records as record batches under the size limit, numbered from its next sequence. */
  private batches(topic: string, partition: number, records: readonly ProducedRecord[]): PartitionWrites {
    const identity: ProducerIdentity = { producerId: this.producer.producerId!, producerEpoch: this.producer.producerEpoch!, transactional: this.transactionalId !== null };
    const key = `${topic}:${partition}`;
    let sequence = this.sequences.get(key) ?? 0;
    const batches: { bytes: Buffer; count: number }[] = [];
    let start = 0;
    let bytes = 0;
    for (let i = 0; i <= records.length; i++) {
      const size = i < records.length ? recordBytes(records[i]!) : 0;
      if (i === records.length || (bytes + size > maxBatchBytes && i > start)) {
        batches.push({ bytes: encodeRecordBatch(records, start, i, identity, sequence), count: i - start });
        sequence = nextSequence(sequence, i - start);
        start = i;
        bytes = 0;
      }
      bytes += size;
    }
    this.sequences.set(key, sequence);
    return { topic, partition, batches, next: 0, end: undefined };
  }

  /** Sends every partition's batches in rounds (one batch per partition per request), retrying what may be retried. */
  private async send(writes: PartitionWrites[], metadata: ClusterMetadata, topics: string[]): Promise<void> {
    let attempt = 0;
    for (;;) {
      const pending = writes.filter((w) => w.next < w.batches.length);
      if (pending.length === 0) return;
      const byLeader = new Map<number, PartitionWrites[]>();
      for (const w of pending) {
        const leader = metadata.topics.get(w.topic)?.partitions[w.partition]?.leader ?? -1;
        let list = byLeader.get(leader);
        if (!list) byLeader.set(leader, (list = []));
        list.push(w);
      }
      const results = await Promise.allSettled([...byLeader].map(([leader, list]) => this.sendRound(leader, list, metadata)));
      let retriable: Error | undefined;
      for (const result of results) {
        if (result.status === "fulfilled") {
          retriable ??= result.value;
          continue;
        }
        const reason = result.reason as Error;
        if (!NetworkError.isRetryable(reason)) throw reason;
        retriable ??= reason;
      }
      if (retriable === undefined) continue;
      if (++attempt > retries) throw retriable;
      await new Promise((resolve) => setTimeout(resolve, retryDelay(undefined, "produce", attempt, retries, retriable)));
      metadata = await this.producer.metadata({ topics, forceUpdate: true });
    }
  }

  /**
   * One request to `leader` with the next batch of each of its partitions; resolves with a retriable error some
   * partition met (those partitions are sent again), throws what may not be retried.
   */
  private async sendRound(leader: number, writes: PartitionWrites[], metadata: ClusterMetadata): Promise<Error | undefined> {
    const broker = metadata.brokers.get(leader);
    if (!broker) return new ProtocolError("LEADER_NOT_AVAILABLE", `no leader known for ${writes.map((w) => `${w.topic}-${w.partition}`).join(", ")}`);
    const connection = await new Promise<Connection>((resolve, reject) => this.producer[kGetConnection](broker, (e, c) => (e || !c ? reject(e ?? new Error(`no connection to broker ${leader}`)) : resolve(c))));
    const byTopic = new Map<string, { partition: number; batch: Buffer }[]>();
    const sent = new Map<string, PartitionWrites>();
    let bytes = 0;
    for (const w of writes) {
      const batch = w.batches[w.next]!.bytes;
      if (bytes > 0 && bytes + batch.length > maxRequestBytes) continue; // the next round takes it
      bytes += batch.length;
      let partitions = byTopic.get(w.topic);
      if (!partitions) byTopic.set(w.topic, (partitions = []));
      partitions.push({ partition: w.partition, batch });
      sent.set(`${w.topic}:${w.partition}`, w);
    }
    const request: ProduceTopic[] = [...byTopic].map(([topic, partitions]) => ({ topic, partitions }));
    const response = await produce(connection, this.transactionalId, this.ackTimeoutMs, request);
    let retriable: Error | undefined;
    for (const { topic, partitions } of response.topics) {
      for (const p of partitions) {
        const w = sent.get(`${topic}:${p.partition}`);
        if (!w) continue;
        sent.delete(`${topic}:${p.partition}`);
        if (p.errorCode === 0) {
          w.end = p.baseOffset + BigInt(w.batches[w.next]!.count);
          w.next++;
          continue;
        }
        const error = kafkaError(p.errorCode, p.errorMessage, `${topic}-${p.partition}`);
        if ((error as { canRetry?: boolean }).canRetry !== true) throw error;
        retriable ??= error;
      }
    }
    // A partition the response does not mention is sent again (its batch keeps its sequence).
    if (sent.size > 0) retriable ??= new NetworkError(`the Produce response to broker ${leader} left out ${[...sent.keys()].join(", ")}`);
    return retriable;
  }
}
