// The group consumer: subscribes to the inputs, hands each fetched partition batch to the runtime,
// commits offsets the runtime chooses, and reports the partitions the group assigned.
import { AssignerProtocol, type Consumer, type EachBatchPayload, type Kafka } from "kafkajs";
import type { Logger } from "pino";
import { partitionAssignerFor, type GroupAssignmentPlanner } from "./assignor.ts";
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
  /** Decides the assignment when this member leads the group. */
  readonly planner: GroupAssignmentPlanner;
}

/** Where a partition's fetching stands after a batch, including batches of only transaction markers. */
export interface BatchEnd {
  readonly topic: string;
  readonly partition: number;
  /** The first offset the batch covered (markers included); absent when unknown. */
  readonly firstOffset?: string | null;
  /** How many records the batch handed to the runtime (0: only transaction markers or aborted records); absent when unknown. */
  readonly records?: number;
  /** The last offset the batch covered (a marker's offset when it ended in one). */
  readonly lastOffset: string;
  readonly highWatermark: string;
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
      partitionAssigners: [partitionAssignerFor(options.planner)],
    });
  }

  async start(
    topics: readonly string[],
    onBatch: (batch: PartitionBatch, control: BatchControl) => Promise<void>,
    onAssignment: (assignment: Assignment) => void,
    onBatchEnd: (end: BatchEnd) => void,
  ): Promise<void> {
    // kafkajs resolves batches of only control records (transaction markers) or aborted records itself,
    // without calling eachBatch; this event is the only sign that fetching moved past them.
    this.consumer.on(this.consumer.events.END_BATCH_PROCESS, (event) => {
      const { topic, partition, firstOffset, lastOffset, highWatermark, batchSize } = event.payload;
      onBatchEnd({ topic, partition, firstOffset, lastOffset, highWatermark, records: batchSize });
    });
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

  /** Stops fetching these partitions until resumed; the member stays in the group and can still commit. */
  pause(partitions: ReadonlyMap<string, readonly number[]>): void {
    if (partitions.size > 0) this.consumer.pause([...partitions].map(([topic, ps]) => ({ topic, partitions: [...ps] })));
  }

  /** Stops fetching every partition of these topics. */
  pauseTopics(topics: readonly string[]): void {
    if (topics.length > 0) this.consumer.pause(topics.map((topic) => ({ topic })));
  }

  resume(partitions: ReadonlyMap<string, readonly number[]>): void {
    if (partitions.size > 0) this.consumer.resume([...partitions].map(([topic, ps]) => ({ topic, partitions: [...ps] })));
  }

  /** The next fetch of the partition starts at `offset`. */
  seek(topic: string, partition: number, offset: string): void {
    this.consumer.seek({ topic, partition, offset });
  }

  /**
   * The user data the leader sent with this generation's assignments. kafkajs drops it when it receives
   * its own assignment (ConsumerGroup.sync keeps only the partitions), so it is read back from the group
   * coordinator. `stable: false` while a rebalance is under way: the assignments are not all out yet.
   */
  async assignmentUserData(): Promise<{ stable: boolean; userData: Buffer | undefined }> {
    const group = await this.consumer.describeGroup();
    if (group.state !== "Stable") return { stable: false, userData: undefined };
    for (const member of group.members) {
      if (member.memberAssignment.length === 0) continue;
      const userData = AssignerProtocol.MemberAssignment.decode(member.memberAssignment)?.userData;
      if (userData && userData.length > 0) return { stable: true, userData };
    }
    return { stable: true, userData: undefined };
  }

  /** Leaves the group and closes the connections. */
  async disconnect(): Promise<void> {
    await this.consumer.disconnect();
  }
}
