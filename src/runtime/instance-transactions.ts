// Exactly-once v2 (docs/architecture.md, "Exactly-once, per client"): the instance's one transactional
// producer, shared by all its tasks. One transaction at a time; the commits of every task that asked while
// the previous transaction was in flight go into the next one, with the input offsets committed under the
// group generation each task was assigned in (KIP-447). A failed transaction fails every task's commit in it.
import type { GroupMetadata, ProducedRecord, TopicPartitionOffset } from "../kafka/index.ts";
import type { TaskOutputPort } from "./kafka-ports.ts";

/**
 * A task's commit that the group no longer allows: the task is not in this member's current assignment
 * (revoked, or a newer generation came), or the coordinator refused the generation. The task rolls back
 * to its last commit; the next assignment reopens or drops it (Kafka Streams' TaskMigratedException).
 */
export class TaskMigratedError extends Error {
  readonly type = "TASK_MIGRATED";
}

/** Error types of a transactional offset commit refused for the member's generation (KIP-447). */
const generationErrors = new Set(["ILLEGAL_GENERATION", "UNKNOWN_MEMBER_ID", "FENCED_INSTANCE_ID", "REBALANCE_IN_PROGRESS", "TASK_MIGRATED"]);

/** True when a commit failed because the member's generation is stale: the task migrated. */
export function isTaskMigrated(err: unknown): boolean {
  const type = (err as { type?: unknown } | undefined)?.type;
  return typeof type === "string" && generationErrors.has(type);
}

interface PendingCommit {
  readonly records: readonly ProducedRecord[];
  readonly offsets: readonly TopicPartitionOffset[];
  readonly generation: GroupMetadata;
  readonly resolve: (ends: Map<string, string>) => void;
  readonly reject: (err: unknown) => void;
}

function sameGeneration(a: GroupMetadata, b: GroupMetadata): boolean {
  return a.generationId === b.generationId && a.memberId === b.memberId;
}

export class InstanceTransactions {
  /** The instance's transactional producer; its offset commits carry `generation`. */
  private readonly producer: TaskOutputPort;
  /** The generation the transaction in flight commits offsets under (read by the producer). */
  private generation: GroupMetadata | undefined;
  private queue: PendingCommit[] = [];
  private draining: Promise<void> | undefined;

  /** `producerFor` makes the producer; the function it gets answers the generation of the transaction in flight. */
  constructor(producerFor: (generation: () => GroupMetadata | undefined) => TaskOutputPort) {
    this.producer = producerFor(() => this.generation);
  }

  /**
   * Once, before any task opens: InitProducerId for the instance's transactional id, which aborts a
   * transaction a previous run of this instance left open.
   */
  init(): Promise<void> {
    return this.producer.init();
  }

  /**
   * A task's output. `generation` answers, when the task commits, the group generation the task is assigned
   * in (undefined: it is not assigned to this member now). No fencing per task: a new owner waits for the
   * previous owner's transaction through stable offsets and changelog high watermarks instead (Restore).
   */
  forTask(generation: () => GroupMetadata | undefined): TaskOutputPort {
    return {
      init: async () => {},
      commit: (records, offsets) => this.enqueue(records, offsets, generation()),
      close: async () => {},
    };
  }

  /** Resolves once the transactions queued so far have ended. */
  async whenIdle(): Promise<void> {
    while (this.draining) await this.draining;
  }

  async close(): Promise<void> {
    await this.whenIdle();
    await this.producer.close();
  }

  private enqueue(records: readonly ProducedRecord[], offsets: readonly TopicPartitionOffset[], generation: GroupMetadata | undefined): Promise<Map<string, string>> {
    // Never write a commit the group no longer allows: the task was revoked, or no generation is known.
    if (generation === undefined) return Promise.reject(new TaskMigratedError("the task is not in this member's current assignment: its commit is dropped"));
    if (records.length === 0 && offsets.length === 0) return Promise.resolve(new Map<string, string>());
    return new Promise((resolve, reject) => {
      this.queue.push({ records, offsets, generation, resolve, reject });
      this.draining ??= this.drain().finally(() => {
        this.draining = undefined;
      });
    });
  }

  /** Runs transactions until the queue is empty; each takes every queued commit of the first one's generation. */
  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const generation = this.queue[0]!.generation;
      const batch = this.queue.filter((c) => sameGeneration(c.generation, generation));
      this.queue = this.queue.filter((c) => !sameGeneration(c.generation, generation));
      this.generation = generation;
      try {
        const ends = await this.producer.commit(
          batch.flatMap((c) => c.records),
          batch.flatMap((c) => c.offsets),
        );
        // Each task reads the ends of its own changelog partitions (no two tasks write the same one).
        for (const c of batch) c.resolve(ends);
      } catch (err) {
        // The transaction was aborted: every task in it rolls back to its last commit.
        for (const c of batch) c.reject(err);
      } finally {
        this.generation = undefined;
      }
    }
  }
}
