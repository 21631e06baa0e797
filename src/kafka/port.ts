// The client port: what the runtime needs from a Kafka client, and nothing of any client library. Two
// adapters implement it: @platformatic/kafka (the default, src/kafka/platformatic/) and kafkajs (the
// project's original client, the other files of src/kafka/). docs/architecture.md, "The Kafka client port".
import type { Logger } from "pino";
import type { GroupAssignmentPlanner } from "./planner.ts";
import type { ClientSettings, KafkaHeaders, ProducedRecord, TopicPartitionOffset, TopicSpec } from "./types.ts";

export type KafkaClientName = "platformatic" | "kafkajs";

/** One record of a fetched batch, exactly as the client hands it over (no copy per record). */
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
  /**
   * The offset after the last entry the batch covered, trailing transaction markers included (above the last
   * record's offset when the batch ends in a marker); absent when unknown. A partition written in transactions
   * ends in a marker, so only this offset, not the last record's, can reach the high watermark.
   */
  readonly nextOffset?: string;
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

/** Topic → partitions. */
export type Assignment = ReadonlyMap<string, readonly number[]>;

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
  /**
   * Awaited before every JoinGroup this member sends (a rebalance this member takes part in starts): the
   * runtime stops beginning commits and waits for those in flight, so none carries a generation the join
   * makes stale (docs/architecture.md, "Commits and rebalances"). Clients that revoke every partition at a
   * join and commit before it (kafkajs) need not call it.
   */
  readonly rebalanceStarting?: () => Promise<void>;
  /**
   * Kafka's group.instance.id (static membership): the member leaves no group on disconnect, and a restart under
   * the same id within the session timeout gets its assignment back. Clients without it (kafkajs) never get one.
   */
  readonly groupInstanceId?: string;
}

/** What the member's group generation is, for offsets committed in a transaction (KIP-447). */
export interface GroupMetadata {
  readonly groupId: string;
  readonly memberId: string;
  readonly generationId: number;
  /** The member's group.instance.id when it is a static member: its transactional offset commits name it. */
  readonly groupInstanceId?: string;
}

/** Membership of the application's consumer group, and the fetching of the partitions it assigned. */
export interface GroupConsumer {
  /**
   * True when a rebalance leaves the fetching of the partitions the member keeps as it was (position and
   * pause): the tasks kept across it go on without a stop (@platformatic/kafka, with Weir's own fetch loop).
   * False when every rebalance restarts fetching from the group's committed offsets (kafkajs), so every
   * task stops and is sought again (docs/architecture.md, "The processing loop", step 3).
   */
  readonly keepsFetchingAcrossRebalances: boolean;
  /**
   * Joins the group and starts fetching. `onAssignment` runs at every new assignment (new partitions are
   * paused until resumed); `onBatch` gets each fetched partition batch with records; `onBatchEnd` reports
   * every batch's end, including batches of only transaction markers. `onFatal`: the client gave up on the
   * consumer (it will not rejoin by itself); the app must recreate it or fail.
   */
  start(
    topics: readonly string[],
    onBatch: (batch: PartitionBatch, control: BatchControl) => Promise<void>,
    onAssignment: (assignment: Assignment) => void,
    onBatchEnd: (end: BatchEnd) => void,
    onFatal?: (error: Error) => void,
  ): Promise<void>;
  /** Commits offsets outside a transaction (at-least-once). */
  commit(offsets: readonly TopicPartitionOffset[]): Promise<void>;
  /** Stops fetching these partitions until resumed; the member stays in the group and can still commit. */
  pause(partitions: Assignment): void;
  /** Stops fetching every partition of these topics. */
  pauseTopics(topics: readonly string[]): void;
  resume(partitions: Assignment): void;
  /** The next fetch of the partition starts at `offset`. */
  seek(topic: string, partition: number, offset: string): void;
  /** The user data the leader sent with this generation's assignments, read back from the coordinator. */
  assignmentUserData(): Promise<{ stable: boolean; userData: Buffer | undefined }>;
  /**
   * The generation of the assignment last handed to `onAssignment` (not a newer one the client may have joined
   * since), for transactional offset commits (KIP-447); undefined when the client cannot send it.
   */
  groupMetadata(): GroupMetadata | undefined;
  /**
   * Starts a rebalance: the member rejoins the group with a fresh subscription (the group leader's probing
   * rebalance, docs/architecture.md, "Warm-up replicas and probing rebalances"). A rejoin that fails as the
   * client's own would is reported to `onFatal`. Absent when the client has no way to (kafkajs): then no
   * warm-up replicas are placed and tasks move at once.
   */
  requestRebalance?(): void;
  /** Leaves the group (a static member does not: it keeps its assignment until the session timeout) and closes the connections. */
  disconnect(): Promise<void>;
}

/** How a task's (or an instance's) commit reaches Kafka. */
export interface TaskOutput {
  /**
   * Fences any other producer of the same transactional id (a zombie owner) and waits until its open
   * transaction is aborted (DESIGN.md step 1). Call before reading the changelogs' end offsets.
   */
  init(): Promise<void>;
  /**
   * Writes `records` and commits `offsets` for the group. Resolves with, per `topic:partition` written,
   * the offset after the last record written there. Rejects when the task must be dropped (fenced,
   * or the transaction failed); the caller rolls its state back.
   */
  commit(records: readonly ProducedRecord[], offsets: readonly TopicPartitionOffset[]): Promise<Map<string, string>>;
  close(): Promise<void>;
}

/** The idempotent producer at-least-once tasks share; each task gets a TaskOutput over it. */
export interface SharedProducer {
  connect(): Promise<void>;
  taskOutput(commitOffsets: (offsets: readonly TopicPartitionOffset[]) => Promise<void>): TaskOutput;
  disconnect(): Promise<void>;
}

export interface GlobalConsumerOptions {
  /** Prefix of any throwaway group id the client needs (kafkajs): `<prefix>-<uuid>`. */
  readonly groupPrefix: string;
  readonly maxBytesPerPartition: number;
  readonly maxWaitTimeMs: number;
}

/** Reads every partition of some topics from given offsets, without the application's group (global tables). */
export interface GlobalConsumer {
  start(
    topics: readonly string[],
    position: (topic: string, partition: number) => string | undefined,
    onBatch: (batch: PartitionBatch) => void,
    onBatchEnd: (end: BatchEnd) => void,
    onFatal?: (error: Error) => void,
  ): Promise<void>;
  disconnect(): Promise<void>;
}

/** One partition to read, from `from` up to (not including) `to`. */
export interface PartitionRange {
  readonly topic: string;
  readonly partition: number;
  readonly from: string;
  readonly to: string;
}

export interface PartitionReaderOptions {
  /** Prefix of any throwaway group id the client needs (kafkajs): `<prefix>-<uuid>`. */
  readonly groupPrefix: string;
  readonly maxBytesPerPartition: number;
  /**
   * The most bytes of records one fetch response holds, all partitions together (Kafka's fetch.max.bytes; a
   * first record batch larger than it still comes whole): bounds how many fetched records are decoded at once.
   */
  readonly maxBytes: number;
  readonly maxWaitTimeMs: number;
}

/**
 * Where a changelog read copies records: each record's key and value bytes, which the sink copies (it keeps
 * no view of them).
 */
export interface ChangelogSink {
  /** `value` null: a tombstone. */
  add(key: Buffer, value: Buffer | null): void;
  /** The same, from `source`'s bytes, without a view made for each; `valueLength` -1: a tombstone. */
  addFrom(source: Buffer, keyStart: number, keyLength: number, valueStart: number, valueLength: number): void;
}

/** One fetch's records of one changelog partition, below its range's `to`, not yet decoded. */
export interface ChangelogRecords {
  readonly topic: string;
  readonly partition: number;
  /**
   * Decodes the records into `sink` in offset order, those without a key skipped, and returns the offset of
   * the last record read (with a key or not), or undefined when there was none. Only during the callback that
   * handed these records over, at most once.
   */
  copyTo(sink: ChangelogSink): string | undefined;
}

/**
 * Reads given partitions between given offsets, read_committed, without the application's group: restore
 * and standby tasks read changelog partitions through it while the group consumer keeps the membership.
 */
export interface PartitionReader {
  /**
   * Reads every range. `onRecords` gets each fetch's records of a partition below the range's `to` (awaited
   * before the next fetch of that partition); `onEnd` runs once per range when fetching got to `to`
   * (transaction markers included). Resolves once every range is read, or soon after `signal` is aborted.
   * Each call connects and leaves on its own.
   */
  read(
    ranges: readonly PartitionRange[],
    onRecords: (records: ChangelogRecords) => void | Promise<void>,
    onEnd: (topic: string, partition: number) => void,
    signal: AbortSignal,
  ): Promise<void>;
}

/** Topic administration: which topics exist, creating Weir's own topics, offsets, and what `weir reset` needs. */
export interface TopicAdmin {
  partitionCounts(topics: readonly string[]): Promise<Map<string, number>>;
  createMissing(specs: readonly TopicSpec[]): Promise<string[]>;
  ensureCompactedTopics(specs: readonly TopicSpec[]): Promise<string[]>;
  ensureRepartitionTopics(specs: readonly TopicSpec[]): Promise<string[]>;
  deleteRecordsBefore(topic: string, offsets: ReadonlyMap<number, string>): Promise<void>;
  topicConfig(topic: string, setting: string): Promise<string | undefined>;
  committedOffsets(groupId: string, topics: readonly string[]): Promise<Map<string, string>>;
  deleteTopics(topics: readonly string[]): Promise<void>;
  endOffsets(topic: string): Promise<Map<number, string>>;
  close(): Promise<void>;
  topicNames(): Promise<string[]>;
  groupIds(): Promise<string[]>;
  groupState(groupId: string): Promise<{ state: string; members: number }>;
  allCommittedOffsets(groupId: string): Promise<TopicPartitionOffset[]>;
  earliestOffsets(topic: string): Promise<Map<number, string>>;
  commitGroupOffsets(groupId: string, topic: string, offsets: ReadonlyMap<number, string>): Promise<void>;
  deleteTopicsAndWait(topics: readonly string[], timeoutMs: number): Promise<void>;
}

/** One client library behind the port. */
export interface KafkaClient {
  readonly name: KafkaClientName;
  /**
   * True when one transactional producer per instance can commit every task's offsets with the group's
   * generation (KIP-447, exactly-once v2); false: one transactional producer per task.
   */
  readonly groupMetadataInTransactions: boolean;
  admin(): TopicAdmin;
  groupConsumer(options: GroupConsumerOptions, logger: Logger): GroupConsumer;
  /** A transactional producer; `groupMetadata` (v2) supplies the generation its offset commits carry. */
  transactionalOutput(transactionalId: string, groupId: string, transactionTimeoutMs: number, groupMetadata?: () => GroupMetadata | undefined): TaskOutput;
  sharedProducer(): SharedProducer;
  globalConsumer(options: GlobalConsumerOptions, logger: Logger): GlobalConsumer;
  /** Reads partition ranges without the application's group (restore). */
  partitionReader(options: PartitionReaderOptions, logger: Logger): PartitionReader;
  /** Closes what the client holds besides the objects it handed out (which their owners close). */
  close(): Promise<void>;
}

export type KafkaClientFactory = (settings: ClientSettings, logger: Logger) => KafkaClient;
