// The group consumer: subscribes to the inputs, hands each fetched partition batch to the runtime,
// commits offsets the runtime chooses, and reports the partitions the group assigned.
import type { Consumer, EachBatchPayload, Kafka } from "kafkajs";
import type { Logger } from "pino";
import type { KafkaHeaders, TopicPartitionOffset } from "./types.ts";

/** One record of a batch, exactly as the client hands it over (no copy per record). */
export interface BatchMessage {
  readonly offset: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  /** Epoch milliseconds as a decimal string. */
  readonly timestamp: string;
  readonly headers?: KafkaHeaders;
}

export interface PartitionBatch {
  readonly topic: string;
  readonly partition: number;
  readonly messages: readonly BatchMessage[];
  /** The partition's end offset when the batch was fetched. */
  readonly highWatermark: string;
}

export interface BatchControl {
  /**
   * Marks the batch processed up to and including `offset`: the next fetch of this partition starts
   * after it. Not a commit; the runtime commits offsets itself.
   */
  resolveOffset(offset: string): void;
  /** False once the consumer is stopping. */
  isRunning(): boolean;
  /** True once a rebalance or seek made the rest of this batch obsolete. */
  isStale(): boolean;
  heartbeat(): Promise<void>;
}

export interface GroupConsumerOptions {
  readonly groupId: string;
  /** read_committed: records of aborted transactions are never seen. */
  readonly readCommitted: boolean;
  readonly sessionTimeoutMs: number;
  readonly heartbeatIntervalMs: number;
  readonly rebalanceTimeoutMs: number;
  readonly partitionsConsumedConcurrently: number;
  readonly maxBytesPerPartition: number;
  readonly maxWaitTimeMs: number;
}

export type Assignment = ReadonlyMap<string, readonly number[]>;

export class GroupConsumer {
  private readonly consumer: Consumer;
  private readonly options: GroupConsumerOptions;
  private readonly logger: Logger;

  constructor(kafka: Kafka, options: GroupConsumerOptions, logger: Logger) {
    this.options = options;
    this.logger = logger;
    this.consumer = kafka.consumer({
      groupId: options.groupId,
      readUncommitted: !options.readCommitted,
      sessionTimeout: options.sessionTimeoutMs,
      heartbeatInterval: options.heartbeatIntervalMs,
      rebalanceTimeout: options.rebalanceTimeoutMs,
      maxBytesPerPartition: options.maxBytesPerPartition,
      maxWaitTimeInMs: options.maxWaitTimeMs,
      allowAutoTopicCreation: false,
    });
  }

  async start(
    topics: readonly string[],
    onBatch: (batch: PartitionBatch, control: BatchControl) => Promise<void>,
    onAssignment: (assignment: Assignment) => void,
  ): Promise<void> {
    this.consumer.on(this.consumer.events.GROUP_JOIN, (event) => {
      const assignment = new Map(Object.entries(event.payload.memberAssignment));
      onAssignment(assignment);
    });
    this.consumer.on(this.consumer.events.CRASH, (event) => {
      this.logger.error({ err: event.payload.error, restart: event.payload.restart }, "consumer crashed");
    });
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: [...topics], fromBeginning: true });
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.options.partitionsConsumedConcurrently,
      eachBatch: async (payload: EachBatchPayload) => {
        await onBatch(payload.batch as PartitionBatch, {
          resolveOffset: (offset) => payload.resolveOffset(offset),
          isRunning: () => payload.isRunning(),
          isStale: () => payload.isStale(),
          heartbeat: () => payload.heartbeat(),
        });
      },
    });
  }

  async commit(offsets: readonly TopicPartitionOffset[]): Promise<void> {
    if (offsets.length === 0) return;
    await this.consumer.commitOffsets(offsets.map((o) => ({ ...o })));
  }

  /** Stops fetching the topics' partitions; the member stays in the group and can still commit. */
  pause(topics: readonly string[]): void {
    this.consumer.pause(topics.map((topic) => ({ topic })));
  }

  /** Leaves the group and closes the connections. */
  async disconnect(): Promise<void> {
    await this.consumer.disconnect();
  }
}
