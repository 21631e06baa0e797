// The group consumer: subscribes to the inputs, hands each fetched partition batch to the runtime,
// commits offsets the runtime chooses, and reports the partitions the group assigned.
import { AssignerProtocol, type Consumer, type EachBatchPayload, type Kafka } from "kafkajs";
import type { Logger } from "pino";
import { partitionAssignerFor } from "./assignor.ts";
import type { Assignment, BatchControl, BatchEnd, BatchMessage, GroupConsumer, GroupConsumerOptions, GroupMetadata, PartitionBatch } from "../port.ts";
import type { TopicPartitionOffset } from "../types.ts";
import { restartedCrashLevel } from "./client.ts";

export class KafkajsGroupConsumer implements GroupConsumer {
  private readonly consumer: Consumer;
  private readonly options: GroupConsumerOptions;
  private readonly logger: Logger;
  /** kafkajs revokes everything at each join and fetches again from the group's committed offsets. */
  readonly keepsFetchingAcrossRebalances = false;

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
    onFatal?: (error: Error) => void,
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
      // kafkajs restarts the consumer itself after a retriable crash; after any other it is gone for good.
      if (event.payload.restart) this.logger[restartedCrashLevel(event.payload.error)]({ err: event.payload.error }, "consumer crashed; kafkajs restarts it");
      else onFatal?.(event.payload.error);
    });
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: [...topics], fromBeginning: true });
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.options.partitionsConsumedConcurrently,
      eachBatch: async (payload: EachBatchPayload) => {
        const { topic, partition, messages, highWatermark } = payload.batch;
        // lastOffset() counts the batch's trailing transaction markers (kafkajs still fetches them again, alone).
        // Consumed records carry Buffer headers (IHeaders also types the producer's strings), as the cast before this said.
        const batch: PartitionBatch = { topic, partition, messages: messages as readonly BatchMessage[], highWatermark, nextOffset: String(BigInt(payload.batch.lastOffset()) + 1n) };
        await onBatch(batch, {
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

  /** kafkajs cannot send the group's generation with a transactional offset commit (no KIP-447). */
  groupMetadata(): GroupMetadata | undefined {
    return undefined;
  }

  /** Leaves the group and closes the connections. */
  async disconnect(): Promise<void> {
    await this.consumer.disconnect();
  }
}
