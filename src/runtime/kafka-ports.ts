// What TaskManager needs from the Kafka layer, and no more: control of the group consumer's fetching,
// each task's output (the producer its commits go through), a reader of changelog partitions for restore
// and a few admin reads. src/kafka/'s classes
// satisfy these structurally; a fake stands in for them in TaskManager's unit tests.
import type { PartitionReader, ProducedRecord, TopicPartitionOffset } from "../kafka/index.ts";

/** Fetching of the group consumer's assigned partitions, per topic. */
export interface PartitionControl {
  /** True when a rebalance leaves kept partitions fetching where they were (GroupConsumer.keepsFetchingAcrossRebalances). */
  readonly keepsFetchingAcrossRebalances?: boolean;
  pause(partitions: ReadonlyMap<string, readonly number[]>): void;
  resume(partitions: ReadonlyMap<string, readonly number[]>): void;
  seek(topic: string, partition: number, offset: string): void;
}

/** Reads changelog partitions up to given end offsets without the group (the client's PartitionReader). */
export type ChangelogReaderPort = Pick<PartitionReader, "read">;

/** Where a task's commits go (under exactly-once with kafkajs: a transactional producer of its own). */
export interface TaskOutputPort {
  /**
   * Fences any other producer of this task (a zombie owner) and waits until its open transaction is
   * aborted (DESIGN.md step 1). Called before the changelogs' end offsets are read.
   */
  init(): Promise<void>;
  /**
   * Writes `records` and commits `offsets` for the group. Resolves with, per `topic:partition` written,
   * the offset after the last record written there. Rejects when the task must be dropped (fenced, or
   * the transaction failed).
   */
  commit(records: readonly ProducedRecord[], offsets: readonly TopicPartitionOffset[]): Promise<Map<string, string>>;
  close(): Promise<void>;
}

/** The admin reads TaskManager makes (offsets are decimal strings; maps are keyed by partition unless said). */
export interface TaskAdminPort {
  /** Each partition's end offset (the last stable offset: reads are read_committed). */
  endOffsets(topic: string): Promise<Map<number, string>>;
  /**
   * Each partition's high watermark, past any open transaction's records (exactly-once v2 clients). Restore reads
   * a changelog up to it read_committed, which waits until every transaction begun before is resolved.
   */
  highWatermarks?(topic: string): Promise<Map<number, string>>;
  /** Each partition's log start offset. */
  earliestOffsets(topic: string): Promise<Map<number, string>>;
  /** The group's committed offsets of `topics`, keyed `topic:partition` ("-1": none); stable ones where the client can ask (KIP-447). */
  committedOffsets(groupId: string, topics: readonly string[]): Promise<Map<string, string>>;
  /** The partition count of each of `topics` that exists (a missing topic is absent). */
  partitionCounts(topics: readonly string[]): Promise<Map<string, number>>;
}
