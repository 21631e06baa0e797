// The batch loop of the tasks TaskManager owns: a fetched batch of an input goes to its task (after a warm-up
// wait for the schema registry, registry-wait.ts), its offsets are resolved, its metrics noted, and the task
// commits when its schedule says so (commit-schedule.ts); the wall-clock tick gives a multi-input task's buffered
// records their turn the same way. A record that fails under the `fail` handler stops the app. Which tasks exist,
// and how they commit, is TaskManager's.
import type { BatchControl, BatchEnd, PartitionBatch } from "../kafka/index.ts";
import type { WeirMetrics } from "../metrics/metrics.ts";
import type { Topology } from "../topology/topology.ts";
import { RecordError } from "./error-handlers.ts";
import type { Logger } from "./logger.ts";
import type { OutputTopics } from "./output-topics.ts";
import { warmUpBatch } from "./registry-wait.ts";
import type { StreamTask } from "./stream-task.ts";
import { taskId } from "./task-id.ts";

export interface TaskBatchesOptions {
  readonly topology: Topology;
  readonly changelogTopics: ReadonlySet<string>;
  /** TaskManager's tasks, by id (read only here). */
  readonly tasks: ReadonlyMap<string, StreamTask>;
  readonly outputTopics: OutputTopics;
  readonly metrics: WeirMetrics;
  readonly logger: Logger;
  readonly fail: (error: Error) => void;
  /** Commits the task if it may (TaskManager.commit). */
  readonly commit: (task: StreamTask) => Promise<void>;
  /** Commits the task once; the error when it failed and the task rolled back. */
  readonly commitOnce: (task: StreamTask) => Promise<Error | undefined>;
  /** The app is stopping or the tasks are closed: a batch waiting for the registry gives up. */
  readonly abandoned: () => boolean;
}

export class TaskBatches {
  private readonly options: TaskBatchesOptions;

  constructor(options: TaskBatchesOptions) {
    this.options = options;
  }

  /** The wall-clock tick's turn at a multi-input task's buffered records; commits as a batch would. */
  async processBuffered(task: StreamTask): Promise<void> {
    let processed: number;
    try {
      processed = this.noteProcessed(await task.processBuffered(Date.now(), "tick"));
    } catch (err) {
      await this.processingFailed(task, err as Error);
      return;
    }
    if (processed === 0 || this.options.tasks.get(task.id) !== task) return;
    if (task.commitDue(Date.now())) await this.options.commit(task);
  }

  private noteProcessed(counts: ReadonlyMap<string, number>): number {
    let total = 0;
    for (const [topic, n] of counts) {
      if (n > 0) this.options.metrics.recordsConsumed(topic, n);
      total += n;
    }
    return total;
  }

  /** A fetched batch of an input: processed by its task if it runs; anything else waits. */
  async onBatch(batch: PartitionBatch, control: BatchControl): Promise<void> {
    // Changelogs are never resumed in the group (restore reads them without it).
    if (this.options.changelogTopics.has(batch.topic)) return;
    const task = this.options.tasks.get(taskId(this.options.topology.subTopologyOf(batch.topic).id, batch.partition));
    if (task?.status !== "running") return;
    await task.idle();
    // Without resolving, kafkajs fetches these records again once the partition is resumed.
    const current = () => !control.isStale() && task.status === "running" && this.options.tasks.get(task.id) === task;
    if (!current()) return;
    const warmedUp = await warmUpBatch(task, batch, control, {
      logger: this.options.logger,
      metrics: this.options.metrics,
      abandoned: () => this.options.abandoned() || this.options.tasks.get(task.id) !== task,
      commit: () => this.options.commit(task),
      fail: this.options.fail,
    });
    if (!warmedUp || !current()) return;
    // The wall-clock tick may have begun a commit while the warm-up waited for the registry: never process into it.
    await task.idle();
    if (!current()) return;
    let processed: number;
    const started = performance.now();
    try {
      processed = this.noteProcessed(await task.processBatch(batch));
    } catch (err) {
      await this.processingFailed(task, err as Error);
      return;
    }
    const last = batch.messages[batch.messages.length - 1]?.offset;
    if (last === undefined) return;
    // Resolved even when every record was skipped as already processed, or kafkajs would fetch them again.
    control.resolveOffset(last);
    if (processed === 0) return;
    const metrics = this.options.metrics;
    metrics.batchProcessed((performance.now() - started) / 1000);
    metrics.consumerLag(batch.topic, batch.partition, Math.max(0, Number(BigInt(batch.highWatermark) - BigInt(last) - 1n)));
    task.batchProcessed(batch.topic, batch.nextOffset ?? String(BigInt(last) + 1n), batch.highWatermark);
    // Off the commit path, so a task without topic choosers commits exactly as before (no await in between).
    if (this.options.outputTopics.hasUnknown(task)) {
      const missing = await this.options.outputTopics.missing(task);
      if (missing) {
        this.options.fail(missing);
        return;
      }
    }
    if (task.commitDue(Date.now())) await this.options.commit(task);
  }

  /**
   * A record failed under the `fail` handler (or worse): nothing past it is committed. The records before it
   * are, unless it left state writes behind (or a topic a chooser picked before it is missing).
   */
  private async processingFailed(task: StreamTask, err: Error): Promise<void> {
    if (err instanceof RecordError && err.committableBefore && (await this.options.outputTopics.missing(task)) === undefined) {
      const commitError = await this.options.commitOnce(task);
      if (commitError) this.options.logger.warn({ task: task.id, err: commitError }, "could not commit the records before the failed one");
    }
    this.options.fail(err);
  }

  /** Fetching moved past `lastOffset`: a batch of only markers (or aborted records) tells a multi-input task it may be caught up. */
  onBatchEnd(end: BatchEnd): void {
    if (this.options.changelogTopics.has(end.topic)) return;
    if (end.records !== 0 || end.firstOffset === undefined || end.firstOffset === null) return;
    const input = this.options.tasks.get(taskId(this.options.topology.subTopologyOf(end.topic).id, end.partition));
    if (input?.status === "running") input.fetchedUpTo(end.topic, end.firstOffset, end.lastOffset, end.highWatermark);
  }
}
