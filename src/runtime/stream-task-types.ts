// The shapes around a StreamTask: how it is opened, what a commit writes, what `/tasks` shows of it.
import type { ProducedRecord, TopicPartitionOffset } from "../kafka/index.ts";
import type { WeirMetrics } from "../metrics/metrics.ts";
import type { TaskRecordCache } from "../state/record-cache.ts";
import type { SubTopology } from "../topology/graph.ts";
import type { ErrorHandlingSettings } from "./error-handlers.ts";
import type { Logger } from "./logger.ts";
import type { TaskStatus } from "./task-state.ts";

/** What a commit writes, from prepareCommit(): the task is committing until postCommit() or rollback(). */
export interface PreparedCommit {
  /** The outputs, then the changelog records of the flushed write cache. */
  readonly records: readonly ProducedRecord[];
  /** The input offsets processed since the last commit. */
  readonly offsets: readonly TopicPartitionOffset[];
  /** Outputs per topic and their input timestamps, for the metrics. */
  readonly outputsPerTopic: ReadonlyMap<string, number>;
  readonly inputTimestamps: readonly number[];
  readonly startedMs: number;
}

/** Who asks whether a commit is due (commitDue). */
export type CommitTrigger = "processing" | "tick";

export interface StreamTaskOptions {
  readonly subTopology: SubTopology;
  readonly partition: number;
  readonly applicationId: string;
  readonly statePath: string;
  readonly cacheMaxBytes: number;
  /** SQLite's page cache of the task's file, in bytes; default: the state file's. */
  readonly pageCacheBytes?: number;
  /** commit.interval.ms; default: exactly-once's 100. */
  readonly commitIntervalMs?: number;
  readonly logger: Logger;
  readonly metrics: WeirMetrics;
  /** The application's error handlers and dead-letter topic; default: every handler `fail`. */
  readonly errorHandling?: ErrorHandlingSettings;
  /** Per sink topic, the largest record it accepts (its max.message.bytes); a larger output is a production error. */
  readonly maxMessageBytes?: ReadonlyMap<string, number>;
  /** Global stores (GlobalKTables) its processors may read; not part of the task's file. */
  readonly globalStores?: ReadonlyMap<string, unknown> | undefined;
  /** The task's share of the record cache (statestoreCacheMaxBytes); undefined: off. */
  readonly recordCache?: TaskRecordCache;
  /** Kafka Streams' max.task.idle.ms, for a task with several input partitions (RecordQueues); default 0. */
  readonly maxTaskIdleMs?: number;
}

/** What `/tasks` shows of a task. */
export interface TaskSnapshot {
  readonly id: string;
  readonly status: TaskStatus;
  readonly partitions: readonly {
    readonly topic: string;
    readonly partition: number;
    readonly committedOffset: string | null;
    readonly highWatermark: string | null;
    readonly lag: number | null;
  }[];
}
