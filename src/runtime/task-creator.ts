// Opens a task with its output and closes both, as Kafka Streams' ActiveTaskCreator: the task's SQLite file
// under the state dir, then (DESIGN.md step 1) the fencing of any other owner through the output, so that
// the changelogs cannot grow behind our back (kafkajs; on exactly-once v2 the output's init is a no-op and the
// restore waits for the previous owner instead: docs/architecture.md, "Exactly-once, per client"). TaskManager
// commits each task through the output kept here.
import { stateFilePath } from "../state/state-file.ts";
import type { WeirMetrics } from "../metrics/metrics.ts";
import { RecordCacheBudget, type TaskRecordCache } from "../state/record-cache.ts";
import type { Topology } from "../topology/topology.ts";
import type { WeirConfig } from "./config.ts";
import type { TaskRef } from "./group-planner.ts";
import type { TaskOutputPort } from "./kafka-ports.ts";
import type { Logger } from "./logger.ts";
import { StreamTask } from "./stream-task.ts";
import { taskId } from "./task-id.ts";

export interface TaskCreatorOptions {
  readonly topology: Topology;
  readonly config: WeirConfig;
  readonly logger: Logger;
  readonly metrics: WeirMetrics;
  readonly outputFor: (taskId: string) => TaskOutputPort;
  readonly globalStores?: () => ReadonlyMap<string, unknown> | undefined;
  /** Closes this instance's standby of the task, if any, before its active task opens the same file. */
  readonly releaseStandby?: ((taskId: string) => void) | undefined;
}

export class TaskCreator {
  private readonly options: TaskCreatorOptions;
  /** Each open task's output: its commits go through it (commitTask), it closes after the task. */
  private readonly outputs = new Map<StreamTask, TaskOutputPort>();
  /** Per sink topic (and the dead-letter topic), the largest record it accepts (read at start). */
  maxMessageBytes: ReadonlyMap<string, number> = new Map();
  /** statestoreCacheMaxBytes, shared by the open tasks; undefined when 0 (no record cache). */
  private readonly recordCaches: RecordCacheBudget | undefined;
  private readonly recordCacheOf = new Map<StreamTask, TaskRecordCache>();

  constructor(options: TaskCreatorOptions) {
    this.options = options;
    const cacheBytes = options.config.statestoreCacheMaxBytes;
    this.recordCaches = cacheBytes > 0 ? new RecordCacheBudget(cacheBytes) : undefined;
  }

  /** Opens the task's file, then fences any other owner of the task through its output. */
  async open(ref: TaskRef): Promise<StreamTask> {
    const id = taskId(ref.subTopology, ref.partition);
    // Promotion (docs/architecture.md, "Standby replicas"): the file the standby kept is this task's.
    this.options.releaseStandby?.(id);
    const output = this.options.outputFor(id);
    const recordCache = this.recordCaches?.join();
    let task: StreamTask;
    try {
      task = this.openTask(ref, id, recordCache);
    } catch (err) {
      if (recordCache) this.recordCaches!.leave(recordCache);
      throw err;
    }
    if (recordCache) this.recordCacheOf.set(task, recordCache);
    try {
      await output.init();
    } catch (err) {
      await this.close(task);
      throw err;
    }
    this.outputs.set(task, output);
    return task;
  }

  private openTask(ref: TaskRef, id: string, recordCache: TaskRecordCache | undefined): StreamTask {
    const { config, topology, logger } = this.options;
    return StreamTask.open({
      subTopology: topology.subTopologies[ref.subTopology]!,
      partition: ref.partition,
      applicationId: config.applicationId,
      statePath: stateFilePath(config.stateDir, config.applicationId, id),
      cacheMaxBytes: config.cacheMaxBytes,
      pageCacheBytes: config.statePageCacheBytes,
      commitIntervalMs: config.commitIntervalMs,
      logger,
      metrics: this.options.metrics,
      errorHandling: config,
      maxMessageBytes: this.maxMessageBytes,
      globalStores: this.options.globalStores?.(),
      maxTaskIdleMs: config.maxTaskIdleMs,
      ...(recordCache ? { recordCache } : {}),
    });
  }

  /** The output of an open task; undefined once it closed. */
  output(task: StreamTask): TaskOutputPort | undefined {
    return this.outputs.get(task);
  }

  /** Closes the task (its uncommitted work rolled back), then its output. */
  async close(task: StreamTask): Promise<void> {
    await task.close();
    const recordCache = this.recordCacheOf.get(task);
    if (recordCache) {
      this.recordCacheOf.delete(task);
      this.recordCaches!.leave(recordCache);
    }
    const output = this.outputs.get(task);
    if (!output) return;
    this.outputs.delete(task);
    await output.close().catch((err: unknown) => this.options.logger.warn({ task: task.id, err }, "task output did not close cleanly"));
  }
}
