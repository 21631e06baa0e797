// The group consumer on @platformatic/kafka: the client keeps the membership (join, sync, heartbeats,
// rejoins) with Weir's own assignor; Weir's fetch loop (fetcher.ts) fetches what the group assigned.
import { Consumer, kOptions, type ClusterMetadata, type GroupPartitionsAssignments, type ExtendedGroupProtocolSubscription } from "@platformatic/kafka";
import type { Admin as KafkajsAdmin } from "kafkajs";
import { AssignerProtocol } from "kafkajs";
import type { Logger } from "pino";
import type { Assignment, BatchControl, BatchEnd, GroupConsumer, GroupConsumerOptions, GroupMetadata, PartitionBatch } from "../port.ts";
import type { ClientSettings, TopicPartitionOffset } from "../types.ts";
import { PartitionFetcher } from "./fetcher.ts";

export class PlatformaticGroupConsumer implements GroupConsumer {
  private readonly consumer: Consumer;
  private readonly fetcher: PartitionFetcher;
  private readonly options: GroupConsumerOptions;
  private readonly logger: Logger;
  private readonly describeAdmin: () => Promise<KafkajsAdmin>;
  private assigned = new Map<string, number[]>();
  private fatal: ((error: Error) => void) | undefined;
  private closing = false;
  private joins: Promise<void> = Promise.resolve();
  /** The options of the first JoinGroup, which every rejoin this member starts sends again. */
  private joinOptions: Parameters<Consumer["joinGroup"]>[0] | undefined;
  /** The generation of the assignment last handed to the runtime (KIP-447: its offsets commit under it). */
  private generation: GroupMetadata | undefined;
  /** A kept partition is never dropped at a join: its position and pause stay (the fetch loop is Weir's own). */
  readonly keepsFetchingAcrossRebalances = true;

  constructor(consumer: Consumer, settings: ClientSettings, options: GroupConsumerOptions, logger: Logger, describeAdmin: () => Promise<KafkajsAdmin>) {
    this.consumer = consumer;
    this.options = options;
    this.logger = logger;
    this.describeAdmin = describeAdmin;
    this.fetcher = new PartitionFetcher(
      consumer,
      settings,
      {
        maxWaitTimeMs: options.maxWaitTimeMs,
        maxBytesPerPartition: options.maxBytesPerPartition,
        readCommitted: options.readCommitted,
        partitionsConsumedConcurrently: options.partitionsConsumedConcurrently,
      },
      logger,
    );
  }

  /** The client's options object: the assignment's user data is read from it when the leader encodes the assignments. */
  private setAssignmentUserData(userData: Buffer): void {
    (this.consumer as unknown as Record<symbol, { assignmentUserData?: Buffer }>)[kOptions]!.assignmentUserData = userData;
  }

  private partitionCounter(metadata: ClusterMetadata, topics: ReadonlySet<string>): (topic: string) => number {
    return (topic) => (topics.has(topic) ? (metadata.topics.get(topic)?.partitionsCount ?? 0) : 0);
  }

  async start(
    topics: readonly string[],
    onBatch: (batch: PartitionBatch, control: BatchControl) => Promise<void>,
    onAssignment: (assignment: Assignment) => void,
    onBatchEnd: (end: BatchEnd) => void,
    onFatal?: (error: Error) => void,
  ): Promise<void> {
    const planner = this.options.planner;
    this.fatal = (error) => {
      if (this.closing) return;
      this.closing = true;
      if (onFatal) onFatal(error);
      else this.logger.error({ err: error }, "consumer failed");
    };
    this.consumer.topics.trackAll(...topics);
    this.consumer.on("consumer:group:join", (payload) => {
      const next = new Map<string, number[]>((payload.assignments ?? []).map((a) => [a.topic, [...a.partitions]]));
      // Taken now: by the time the runtime gets this assignment the client may have joined a newer generation.
      const generation: GroupMetadata = {
        groupId: payload.groupId,
        memberId: payload.memberId ?? "",
        generationId: payload.generationId ?? -1,
        ...(this.options.groupInstanceId !== undefined ? { groupInstanceId: this.options.groupInstanceId } : {}),
      };
      // As with kafkajs, a new assignment reaches the runtime between batches, never during one.
      this.joins = this.joins.then(async () => {
        await this.fetcher.hold();
        try {
          for (const [topic, partitions] of this.assigned) {
            for (const p of partitions) if (!next.get(topic)?.includes(p)) this.fetcher.drop(topic, p);
          }
          // New partitions wait, paused, until the runtime seeks and resumes them.
          for (const [topic, partitions] of next) for (const p of partitions) if (!this.assigned.get(topic)?.includes(p)) this.fetcher.pause(topic, p);
          this.assigned = next;
          this.generation = generation;
          onAssignment(next);
        } finally {
          this.fetcher.release();
        }
      });
    });
    this.consumer.on("consumer:heartbeat:error", (payload) => this.logger.debug({ err: payload.error }, "heartbeat failed"));
    this.consumer.on("error" as never, ((error: Error) => this.fatal?.(error)) as never);
    const joinOptions = {
      sessionTimeout: this.options.sessionTimeoutMs,
      heartbeatInterval: this.options.heartbeatIntervalMs,
      rebalanceTimeout: this.options.rebalanceTimeoutMs,
      protocols: [{ name: planner.protocolName, version: 1 }],
      // Every join: this member's user data. The client assigns a lone member everything without calling
      // the assignor, so the plan's user data for a group of one is prepared here too. Called before each
      // JoinGroup is sent, so the runtime first settles its commits (the group's generation cannot move on
      // before this member rejoins).
      protocolsMetadata: async (_protocols: unknown, subscribed: string[], metadata: ClusterMetadata) => {
        await this.options.rebalanceStarting?.();
        const userData = planner.userData();
        const alone = planner.assign([{ memberId: this.consumer.memberId ?? "", userData }], this.partitionCounter(metadata, new Set(subscribed)), true);
        this.setAssignmentUserData(alone.userData);
        return userData;
      },
      partitionAssigner: (_current: string, members: Map<string, ExtendedGroupProtocolSubscription>, subscribed: Set<string>, metadata: ClusterMetadata): GroupPartitionsAssignments[] => {
        const subscriptions = [...members.values()].map((m) => ({
          memberId: m.memberId,
          userData: typeof m.metadata === "string" ? Buffer.from(m.metadata) : (m.metadata ?? Buffer.alloc(0)),
        }));
        const plan = planner.assign(subscriptions, this.partitionCounter(metadata, subscribed));
        this.setAssignmentUserData(plan.userData);
        return subscriptions.map(({ memberId }) => ({
          memberId,
          assignments: new Map([...(plan.assignments.get(memberId) ?? new Map<string, number[]>())].map(([topic, partitions]) => [topic, { topic, partitions: [...partitions] }])),
        }));
      },
    };
    this.joinOptions = joinOptions;
    await this.consumer.joinGroup(joinOptions);
    this.fetcher.start({ onBatch, onBatchEnd, onFatal: (error) => this.fatal?.(error) });
  }

  async commit(offsets: readonly TopicPartitionOffset[]): Promise<void> {
    if (offsets.length === 0) return;
    await this.consumer.commit({ offsets: offsets.map((o) => ({ topic: o.topic, partition: o.partition, offset: BigInt(o.offset), leaderEpoch: -1 })) });
  }

  pause(partitions: Assignment): void {
    for (const [topic, ps] of partitions) for (const p of ps) this.fetcher.pause(topic, p);
  }

  pauseTopics(topics: readonly string[]): void {
    for (const topic of topics) this.fetcher.pauseTopic(topic);
  }

  resume(partitions: Assignment): void {
    for (const [topic, ps] of partitions) for (const p of ps) if (this.assigned.get(topic)?.includes(p)) this.fetcher.resume(topic, p);
  }

  seek(topic: string, partition: number, offset: string): void {
    if (this.assigned.get(topic)?.includes(partition)) this.fetcher.seek(topic, partition, BigInt(offset));
  }

  /**
   * The user data the leader sent with this generation's assignments. The client keeps only the partitions
   * of its own assignment, so it is read back from the group coordinator (DescribeGroups).
   */
  async assignmentUserData(): Promise<{ stable: boolean; userData: Buffer | undefined }> {
    const { groups } = await (await this.describeAdmin()).describeGroups([this.options.groupId]);
    const group = groups[0];
    if (!group || group.state !== "Stable") return { stable: false, userData: undefined };
    for (const member of group.members) {
      if (member.memberAssignment.length === 0) continue;
      const userData = AssignerProtocol.MemberAssignment.decode(member.memberAssignment)?.userData;
      if (userData && userData.length > 0) return { stable: true, userData };
    }
    return { stable: true, userData: undefined };
  }

  /** The generation of the assignment the runtime holds (set just before onAssignment), not the client's latest. */
  groupMetadata(): GroupMetadata | undefined {
    return this.generation?.memberId ? this.generation : undefined;
  }

  /** The group coordinator's node id, where transactional offset commits go. */
  coordinatorId(): number | null {
    return this.consumer.coordinatorId;
  }

  requestRebalance(): void {
    if (this.closing || !this.joinOptions) return;
    // The client's own rejoin (after a heartbeat's REBALANCE_IN_PROGRESS) does the same: JoinGroup with the member id.
    this.consumer.joinGroup(this.joinOptions).catch((error: unknown) => this.fatal?.(error as Error));
  }

  async disconnect(): Promise<void> {
    this.closing = true;
    await this.fetcher.stop();
    // Leaves the group (a static member sends no LeaveGroup: api-overrides.ts), then closes the connections.
    await this.consumer.close(true);
  }
}
