// How a commit reaches Kafka on @platformatic/kafka. Exactly-once: the instance's transactional producer
// writes the outputs and changelog records and commits the input offsets in one transaction (TxnOffsetCommit
// with the group's generation, KIP-447; docs/architecture.md, "Exactly-once, per client"). At-least-once: an
// idempotent producer shared by all tasks, then the consumer's offset commit.
import { Producer, type Consumer } from "@platformatic/kafka";
import type { GroupMetadata, SharedProducer, TaskOutput } from "../port.ts";
import type { ClientSettings, ProducedRecord, TopicPartitionOffset } from "../types.ts";
import { protocolErrorIds } from "./errors.ts";
import { baseOptions } from "./options.ts";
import { commitOffsetsInOneRequest, type TxnOffsetCommitRequest } from "./api-overrides.ts";
import { ProducerWrites } from "./producer-writes.ts";

export interface GroupCoordinates {
  /** The group's generation (KIP-447 fencing); undefined: the offsets are committed without one. */
  readonly metadata?: () => GroupMetadata | undefined;
  /** The node id of the group coordinator, where the transactional offset commit goes. */
  readonly coordinatorId: () => Promise<number>;
}

/** Sets `type` (as kafkajs names its errors) to the first Kafka error code inside, for the runtime's checks. */
function typed(err: unknown): unknown {
  if (typeof err !== "object" || err === null || (err as { type?: unknown }).type !== undefined) return err;
  const [first] = protocolErrorIds(err);
  if (first !== undefined) Object.defineProperty(err, "type", { value: first, enumerable: true });
  return err;
}

export class PlatformaticTransactionalOutput implements TaskOutput {
  private producer: Producer;
  /** The records of the current producer's transactions (its sequence numbers): replaced with the producer. */
  private writes: ProducerWrites;
  /**
   * Set when a transaction could not be ended, or its records' write failed (the partitions' next sequence
   * numbers are unknown): the producer is replaced (InitProducerId again, a new epoch) before the next one.
   */
  private broken = false;
  private readonly makeProducer: () => Producer;
  private readonly makeWrites: () => ProducerWrites;
  private readonly groupId: string;
  private readonly group: GroupCoordinates;
  /** The TxnOffsetCommit of the transaction being committed: its group.instance.id and every partition's offset. */
  private offsetCommit: TxnOffsetCommitRequest = { instanceId: undefined, topics: undefined };

  constructor(settings: ClientSettings, transactionalId: string, groupId: string, transactionTimeoutMs: number, group: GroupCoordinates) {
    this.groupId = groupId;
    this.group = group;
    this.makeProducer = () => {
      const producer = new Producer({
        ...baseOptions(settings, `-${transactionalId}`),
        // The client sends `timeout` as InitProducerId's transaction timeout (and as Produce's wait for acks). It
        // was the larger of this and the request timeout (30 s): a SIGKILL that left a transaction open then held the
        // partitions' last stable offset, and the task's new owner, for 30 s instead of 10 (bench W7).
        timeout: transactionTimeoutMs,
        transactionalId,
        // InitProducerId's expected id and epoch: -1 asks for this transactional id's current producer id with
        // a bumped epoch (the client's default 0/0 is refused with PRODUCER_FENCED once the id has a producer).
        producerId: -1n,
        producerEpoch: -1,
        idempotent: true,
        acks: -1,
        maxInflights: 1,
      });
      commitOffsetsInOneRequest(producer, () => this.offsetCommit);
      return producer;
    };
    this.makeWrites = () => new ProducerWrites(this.producer, transactionalId, transactionTimeoutMs);
    this.producer = this.makeProducer();
    this.writes = this.makeWrites();
  }

  async init(): Promise<void> {
    // The transactional InitProducerId (the fencing one) goes out at the first transaction's begin;
    // cancelling it sends nothing to the broker.
    const transaction = await this.producer.beginTransaction();
    await transaction.cancel();
  }

  async commit(records: readonly ProducedRecord[], offsets: readonly TopicPartitionOffset[]): Promise<Map<string, string>> {
    if (records.length === 0 && offsets.length === 0) return new Map();
    if (this.broken) {
      // A transaction left open: a new producer's InitProducerId bumps the epoch, which aborts it.
      this.broken = false;
      await this.producer.close(true).catch(() => undefined);
      this.producer = this.makeProducer();
      this.writes = this.makeWrites();
    }
    let transaction;
    try {
      transaction = await this.producer.beginTransaction();
    } catch (err) {
      this.broken = true;
      throw typed(err);
    }
    try {
      let ends: Map<string, string>;
      try {
        ends = await this.writes.write(records, transaction);
      } catch (err) {
        // Whether a failed batch was written is unknown, and with it the partition's next sequence number: the
        // producer is replaced (a new epoch starts every partition's sequence again), as the Java producer bumps
        // its epoch (KIP-360).
        this.broken = true;
        throw err;
      }
      if (offsets.length > 0) {
        const coordinatorId = await this.group.coordinatorId();
        // v2: the generation the committing tasks were assigned in; the coordinator refuses it once the group
        // moved on (ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID, …), so a zombie's offsets are never committed.
        const generation = this.group.metadata?.();
        if (this.group.metadata && generation === undefined) throw Object.assign(new Error("no group generation to commit offsets under"), { type: "TASK_MIGRATED" });
        const consumer = { groupId: this.groupId, memberId: generation?.memberId ?? "", generationId: generation?.generationId ?? -1, coordinatorId };
        // One TxnOffsetCommit for every partition (the client would send one per partition, in turn), naming a
        // static member's instance too, or the coordinator refuses it. Leader epochs unknown (-1), as allowed.
        const topics = new Map<string, { partitionIndex: number; committedOffset: bigint; committedLeaderEpoch: number }[]>();
        for (const o of offsets) {
          let partitions = topics.get(o.topic);
          if (!partitions) topics.set(o.topic, (partitions = []));
          partitions.push({ partitionIndex: o.partition, committedOffset: BigInt(o.offset), committedLeaderEpoch: -1 });
        }
        this.offsetCommit = { instanceId: generation?.groupInstanceId, topics: [...topics].map(([name, partitions]) => ({ name, partitions })) };
        await transaction.addConsumer({ groupId: this.groupId } as Consumer);
        // The client asks for a message (it commits `offset + 1`) to send the request, which carries every partition.
        const first = offsets[0]!;
        await transaction.addOffset({ topic: first.topic, partition: first.partition, offset: BigInt(first.offset) - 1n, metadata: { consumer } } as never);
      }
      await transaction.commit();
      return ends;
    } catch (err) {
      // Aborting can itself fail (a fenced producer cannot end its transaction): the producer is replaced
      // before the next transaction, and its InitProducerId aborts this one (or the transaction timeout does).
      if (!transaction.completed) {
        await transaction.abort().catch(() => {
          this.broken = true;
          return transaction.cancel().catch(() => undefined);
        });
      }
      throw typed(err);
    }
  }

  async close(): Promise<void> {
    await this.producer.close(true);
  }
}

/**
 * At-least-once: one idempotent producer for every task, its records written by Weir (producer-writes.ts), then
 * the consumer's offset commit. A failed write leaves the partitions' sequence numbers unknown: the next write
 * first asks for a new producer id (InitProducerId), as the Java producer resets its idempotent state.
 */
export class PlatformaticSharedProducer implements SharedProducer {
  private readonly producer: Producer;
  private readonly ackTimeoutMs: number;
  /** The writes of the current producer id, or the InitProducerId that gives one. */
  private current: Promise<ProducerWrites> | undefined;

  constructor(settings: ClientSettings) {
    this.producer = new Producer({ ...baseOptions(settings, "-producer"), idempotent: true, acks: -1 });
    this.ackTimeoutMs = settings.requestTimeoutMs;
  }

  async connect(): Promise<void> {
    await this.producer.connectToBrokers();
    await this.writesForNext();
  }

  /** The writes of a producer id no write has failed under: a new id once one has. */
  private async writesForNext(): Promise<ProducerWrites> {
    for (;;) {
      const pending = (this.current ??= this.producer.initIdempotentProducer({}).then(() => new ProducerWrites(this.producer, null, this.ackTimeoutMs)));
      let writes: ProducerWrites;
      try {
        writes = await pending;
      } catch (err) {
        if (this.current === pending) this.current = undefined;
        throw err;
      }
      if (!writes.failed) return writes;
      if (this.current === pending) this.current = undefined;
    }
  }

  taskOutput(commitOffsets: (offsets: readonly TopicPartitionOffset[]) => Promise<void>): TaskOutput {
    return {
      init: async () => {},
      commit: async (records, offsets) => {
        let ends: Map<string, string>;
        try {
          ends = await (await this.writesForNext()).write(records);
        } catch (err) {
          throw typed(err);
        }
        await commitOffsets(offsets);
        return ends;
      },
      close: async () => {},
    };
  }

  async disconnect(): Promise<void> {
    await this.producer.close(true);
  }
}
