// Keeps the tasks this instance owns in step with the group: opens, restores, runs, commits, recovers
// and closes them as partitions are assigned and revoked. The group consumer reads the inputs and, for
// restore, the tasks' changelog partitions (the assignor hands both out together); a partition is
// fetched only while its task needs it.
import { rmSync } from "node:fs";
import { join } from "node:path";
import type { Assignment, BatchControl, BatchEnd, GroupAssignmentPlanner, PartitionBatch, TaskOutput, TopicAdmin } from "../kafka/index.ts";
import { changelogPartitionKey, topicOfPartitionKey } from "../state/types.ts";
import { Topology } from "../topology/topology.ts";
import type { WeirConfig } from "./config.ts";
import { checkpointStillBeyond } from "./stable-ends.ts";
import { WeirError } from "./errors.ts";
import type { WeirMetrics } from "../metrics/metrics.ts";
import type { Logger } from "./logger.ts";
import { StreamTask, type TaskSnapshot } from "./stream-task.ts";
import { taskPlanner, type TaskRef } from "./group-planner.ts";
import { taskId } from "./task.ts";
import { RecordError } from "./error-handlers.ts";
import { awaitWarmUps } from "./registry-wait.ts";

/** A checkpoint past its changelog's end is read again this often, this many times, before the file is wiped. */
const stableEndWaitMs = 250;
const stableEndAttempts = 40;
/** How often processing-time timers and wall-clock punctuators are checked. */
const wallClockTickMs = 50;

export interface PartitionControl {
  pause(partitions: ReadonlyMap<string, readonly number[]>): void;
  resume(partitions: ReadonlyMap<string, readonly number[]>): void;
  seek(topic: string, partition: number, offset: string): void;
}

export interface TaskManagerOptions {
  readonly topology: Topology;
  readonly config: WeirConfig;
  readonly logger: Logger;
  readonly admin: TopicAdmin;
  readonly metrics: WeirMetrics;
  readonly outputFor: (taskId: string) => TaskOutput;
  /** The app stops with this error (a record that cannot be processed, a task that cannot be opened). */
  readonly fail: (error: Error) => void;
  /** Called after every successful commit of a task, with the input offsets it committed. */
  readonly committed?: (task: StreamTask, offsets: ReadonlyMap<string, string>) => void;
  /** The instance's global stores (GlobalKTables), which every task may read. */
  readonly globalStores?: () => ReadonlyMap<string, unknown> | undefined;
}

export class TaskManager {
  private readonly options: TaskManagerOptions;
  private readonly tasks = new Map<string, StreamTask>();
  private readonly changelogTopics: ReadonlySet<string>;
  private control: PartitionControl | undefined;
  /** Bumped at every assignment: work started for an older one stops at its next step. */
  private generation = 0;
  private reconciling: Promise<void> = Promise.resolve();
  /** Set by closeAll(): the app is leaving the group, so a last rebalance must not open tasks again. */
  private closed = false;
  /** Commits that failed in a row, per task. */
  private readonly failedCommits = new Map<string, number>();
  /** True once the group has given this instance an assignment (possibly an empty one). */
  private assigned = false;
  /** Set when the app starts stopping: a batch waiting for the schema registry gives up. */
  private stopping = false;
  /** Per sink topic (and the dead-letter topic), the largest record it accepts. */
  private maxMessageBytes: ReadonlyMap<string, number> = new Map();
  /** Output topics known to exist: the fixed sink topics (checked at start) and chosen ones found on the cluster. */
  private readonly knownOutputTopics: Set<string>;
  /** The wall-clock tick (processing-time timers, wall-clock punctuators), while tasks may run. */
  private ticker: NodeJS.Timeout | undefined;

  constructor(options: TaskManagerOptions) {
    this.options = options;
    const { topology, config } = options;
    this.changelogTopics = new Set(
      topology.subTopologies.flatMap((s) => s.stores.map((store) => Topology.changelogTopic(config.applicationId, store.name))),
    );
    this.knownOutputTopics = new Set([...topology.sinkTopics(), ...topology.repartitionTopics.map((r) => r.name)]);
  }

  /** Every topic the group consumer subscribes to: the inputs and the changelogs. */
  subscribedTopics(): string[] {
    return [...this.options.topology.sourceTopics(), ...this.changelogTopics];
  }

  attach(control: PartitionControl): void {
    this.control = control;
    this.ticker ??= setInterval(() => this.tick(), wallClockTickMs);
  }

  /**
   * Fires each running task's processing-time timers and wall-clock punctuators that are due. A task in a
   * batch, in a commit or restoring is skipped (StreamTask.punctuate); a task whose tick forwarded or wrote
   * something commits once its commit interval has passed, as if a batch had ended.
   */
  private tick(): void {
    const now = Date.now();
    for (const task of this.tasks.values()) {
      try {
        task.punctuate(now);
      } catch (err) {
        this.options.fail(err as Error);
        return;
      }
      if (!task.busy() && task.punctuationCommitDue(now, this.options.config.commitIntervalMs)) {
        this.commit(task).catch((err: unknown) => this.options.fail(err as Error));
      }
      // Records buffered while an empty partition was waited for (its wait may have ended, or its end become known).
      if (!task.busy() && task.status === "running" && (task.queues?.size() ?? 0) > 0) {
        this.processBuffered(task).catch((err: unknown) => this.options.fail(err as Error));
      }
    }
  }

  /** The wall-clock tick's turn at a multi-input task's buffered records; commits as a batch would. */
  private async processBuffered(task: StreamTask): Promise<void> {
    let processed: number;
    try {
      processed = this.noteProcessed(await task.processBuffered(Date.now()));
    } catch (err) {
      await this.processingFailed(task, err as Error);
      return;
    }
    if (processed === 0 || this.tasks.get(task.id) !== task) return;
    if (task.queues!.size() === 0 || task.commitDue(Date.now(), this.options.config.commitIntervalMs)) await this.commit(task);
  }

  private noteProcessed(counts: ReadonlyMap<string, number>): number {
    let total = 0;
    for (const [topic, n] of counts) {
      if (n > 0) this.options.metrics.recordsConsumed(topic, n);
      total += n;
    }
    return total;
  }

  /** The topics' max.message.bytes, read at start: an output over it is a production error at its record. */
  setMaxMessageBytes(limits: ReadonlyMap<string, number>): void {
    this.maxMessageBytes = limits;
  }

  /** The app is stopping: batches waiting for the schema registry stop waiting. */
  beginShutdown(): void {
    this.stopping = true;
  }

  /** The assignment strategy of the group: whole tasks, sticky to where their state is; members advertise `applicationServer`. */
  planner(applicationServer: () => string | null): GroupAssignmentPlanner {
    return taskPlanner(this.options.topology, this.options.config, this.options.logger, { owned: () => [...this.tasks.keys()], applicationServer });
  }

  /** A new assignment (after every rebalance): nothing assigned is fetched until its task is ready. */
  onAssignment(assignment: Assignment): void {
    if (this.closed) return;
    const generation = ++this.generation;
    this.assigned = true;
    this.options.metrics.rebalanced();
    this.control!.pause(assignment);
    const wanted = new Map<string, TaskRef>();
    for (const [topic, partitions] of assignment) {
      if (this.changelogTopics.has(topic)) continue;
      const sub = this.options.topology.subTopologyOf(topic);
      for (const partition of partitions) wanted.set(taskId(sub.id, partition), { subTopology: sub.id, partition });
    }
    this.options.logger.info({ tasks: [...wanted.keys()] }, "tasks assigned");
    this.reconciling = this.reconciling
      .then(() => this.reconcile(generation, wanted))
      .catch((err: unknown) => this.options.fail(err as Error));
  }

  private async reconcile(generation: number, wanted: ReadonlyMap<string, TaskRef>): Promise<void> {
    for (const [id, task] of this.tasks) {
      // Commit what was processed, kept task or revoked. Safe even when the task has moved: if its new
      // owner has fenced us, the commit fails and rolls back; if not yet, its fencing waits for our
      // transaction and its restore reads it. run() then resumes from the offsets just committed.
      await task.idle();
      const committed = (await this.commitOnce(task)) === undefined;
      if (wanted.has(id) && committed) continue;
      this.tasks.delete(id);
      await task.close();
      this.options.logger.info({ task: id }, wanted.has(id) ? "task closed: its commit failed, reopening it" : "task closed: revoked");
    }
    for (const [id, ref] of wanted) {
      if (generation !== this.generation) return;
      if (!this.tasks.has(id)) this.tasks.set(id, await this.openTask(ref));
    }
    if (generation !== this.generation) return;
    await this.restore(generation, [...wanted.keys()].map((id) => this.tasks.get(id)!));
  }

  private async openTask(ref: TaskRef): Promise<StreamTask> {
    const { config, topology, logger } = this.options;
    const id = taskId(ref.subTopology, ref.partition);
    return StreamTask.open({
      subTopology: topology.subTopologies[ref.subTopology]!,
      partition: ref.partition,
      applicationId: config.applicationId,
      statePath: join(config.stateDir, config.applicationId, `${id}.sqlite`),
      cacheMaxBytes: config.cacheMaxBytes,
      pageCacheBytes: config.statePageCacheBytes,
      output: this.options.outputFor(id),
      logger,
      metrics: this.options.metrics,
      errorHandling: config,
      maxMessageBytes: this.maxMessageBytes,
      globalStores: this.options.globalStores?.(),
      maxTaskIdleMs: config.maxTaskIdleMs,
    });
  }

  /**
   * Step 2 of DESIGN.md: replay each changelog from the checkpoint to the end read after fencing.
   * The committed input offsets are read after fencing too: fencing waits until the previous owner's
   * last transaction is complete, so they match the changelogs' ends. (kafkajs reads them itself at the
   * group join, possibly before that, and its OffsetFetch cannot ask for stable offsets as KIP-447 would.)
   */
  /** Each changelog partition's end offset (the last stable offset: reads are read_committed). */
  private async changelogEnds(topics: ReadonlySet<string>): Promise<Map<string, string>> {
    const ends = new Map<string, string>();
    for (const topic of topics) {
      for (const [partition, end] of await this.options.admin.endOffsets(topic)) ends.set(changelogPartitionKey(topic, partition), end);
    }
    return ends;
  }

  private async restore(generation: number, tasks: readonly StreamTask[]): Promise<void> {
    const topics = new Set<string>();
    for (const task of tasks) for (const key of task.changelogs.keys()) topics.add(topicOfPartitionKey(key));
    const ends = await this.changelogEnds(topics);
    const inputs = [...new Set(tasks.flatMap((t) => t.subTopology.sourceTopics))];
    const committed = inputs.length === 0 ? new Map<string, string>() : await this.options.admin.committedOffsets(this.options.config.applicationId, inputs);
    // Nothing committed yet: the task starts at the log start, never at wherever kafkajs's fetching got to.
    for (const topic of inputs) {
      for (const [partition, low] of await this.options.admin.earliestOffsets(topic)) {
        const key = `${topic}:${partition}`;
        if ((committed.get(key) ?? "-1") === "-1") committed.set(key, low);
      }
    }
    if (generation !== this.generation) return;
    // Waits once for all tasks, so that several kept tasks do not each wait in turn.
    const verdict = await checkpointStillBeyond({
      beyond: () => tasks.map((t) => t.checkpointBeyond(ends)).find((reason) => reason !== undefined),
      reread: async () => {
        for (const [key, end] of await this.changelogEnds(topics)) ends.set(key, end);
      },
      cancelled: () => generation !== this.generation,
      attempts: stableEndAttempts,
      waitMs: stableEndWaitMs,
    });
    if (verdict.cancelled) return;
    for (let task of tasks) {
      const beyond = task.checkpointBeyond(ends);
      if (beyond !== undefined) {
        // As Kafka Streams does with such a file: wipe it and rebuild the stores from the changelog.
        this.options.logger.warn({ task: task.id, problem: beyond }, "state file does not match its changelog: deleting it and restoring from the changelog");
        await task.close();
        for (const suffix of ["", "-wal", "-shm"]) rmSync(task.statePath + suffix, { force: true });
        const fresh = await this.openTask({ subTopology: task.subTopology.id, partition: task.partition });
        this.tasks.set(fresh.id, fresh);
        task = fresh;
      }
      task.adoptCommittedInputs(committed);
      const toFetch = task.beginRestore(ends);
      if (toFetch.size === 0) {
        this.run(task);
        continue;
      }
      this.options.logger.info({ task: task.id, from: Object.fromEntries(toFetch) }, "restore started");
      for (const [key, from] of toFetch) {
        const topic = topicOfPartitionKey(key);
        this.control!.seek(topic, task.partition, from);
        this.control!.resume(new Map([[topic, [task.partition]]]));
      }
    }
  }

  /** The task's stores are restored: stop fetching its changelogs, fetch its inputs from where its state is. */
  private run(task: StreamTask): void {
    const changelogs = new Map<string, number[]>();
    for (const key of task.changelogs.keys()) changelogs.set(topicOfPartitionKey(key), [task.partition]);
    this.control!.pause(changelogs);
    // Never kafkajs's own position: it may predate our last commit (see restore()), and records before
    // the offset the state reflects would be counted twice.
    const offsets = task.resumeOffsets();
    for (const [topic, offset] of offsets) this.control!.seek(topic, task.partition, offset);
    // Records buffered beyond these offsets are fetched again.
    task.queues?.reset(offsets);
    this.control!.resume(new Map(task.subTopology.sourceTopics.map((t) => [t, [task.partition]])));
    this.options.logger.info({ task: task.id }, "task running");
    if (task.queues) this.readEndOffsets(task, offsets);
  }

  /**
   * A multi-input task waits for an empty partition until it is known to be caught up (RecordQueues); a
   * partition with nothing to fetch never yields a batch, so its end offset is read once here.
   */
  private readEndOffsets(task: StreamTask, from: ReadonlyMap<string, string>): void {
    const queues = task.queues!;
    const epoch = queues.epoch;
    for (const topic of task.subTopology.sourceTopics) {
      this.options.admin
        .endOffsets(topic)
        .then((ends) => {
          const end = ends.get(task.partition);
          if (end !== undefined) queues.noteEndOffset(topic, end, epoch);
        })
        .catch((err: unknown) => {
          // Not waiting for it then: its records may come out of timestamp order, never lost.
          this.options.logger.warn({ task: task.id, topic, err }, "could not read the end offset of an input partition: its records are not waited for");
          const start = from.get(topic);
          if (start !== undefined) queues.noteEndOffset(topic, start, epoch);
        });
    }
  }

  /** A fetched batch: restore data for a restoring task, input for a running one; anything else waits. */
  async onBatch(batch: PartitionBatch, control: BatchControl): Promise<void> {
    if (this.changelogTopics.has(batch.topic)) {
      const task = this.taskOfChangelog(batch.topic, batch.partition);
      if (task?.status !== "restoring" || batch.messages.length === 0) return;
      try {
        task.restoreBatch(batch.topic, batch.messages);
      } catch (err) {
        // Loudly: thrown into kafkajs, it would restart the consumer and hide why.
        this.options.fail(new Error(`task ${task.id} could not restore ${batch.topic}: ${(err as Error).message}`, { cause: err }));
        return;
      }
      control.resolveOffset(batch.messages[batch.messages.length - 1]!.offset);
      return;
    }
    const task = this.tasks.get(taskId(this.options.topology.subTopologyOf(batch.topic).id, batch.partition));
    if (task?.status !== "running") return;
    await task.idle();
    // Without resolving, kafkajs fetches these records again once the partition is resumed.
    const current = () => !control.isStale() && task.status === "running" && this.tasks.get(task.id) === task;
    if (!current()) return;
    if (!(await this.warmUp(task, batch, control)) || !current()) return;
    let processed: number;
    const started = performance.now();
    const queues = task.queues;
    try {
      if (queues) {
        // Several input partitions: the batch waits its turn in timestamp order. Resolving it is safe: the
        // task's own positions count processed records only, and every rewind drops the queues.
        task.enqueue(batch.topic, batch.messages, batch.highWatermark);
        processed = this.noteProcessed(await task.processBuffered(Date.now()));
      } else {
        processed = await task.process(batch.topic, batch.messages);
      }
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
    if (!queues) metrics.recordsConsumed(batch.topic, processed);
    metrics.consumerLag(batch.topic, batch.partition, Math.max(0, Number(BigInt(batch.highWatermark) - BigInt(last) - 1n)));
    task.noteHighWatermark(batch.topic, batch.highWatermark);
    // Off the commit path, so a task without topic choosers commits exactly as before (no await in between).
    if (this.unknownChosenTopics(task).length > 0) {
      const missing = await this.missingChosenTopics(task);
      if (missing) {
        this.options.fail(missing);
        return;
      }
    }
    const caughtUp = BigInt(last) + 1n >= BigInt(batch.highWatermark) && (queues?.size() ?? 0) === 0;
    if (caughtUp || task.commitDue(Date.now(), this.options.config.commitIntervalMs)) await this.commit(task);
  }

  /**
   * A record failed under the `fail` handler (or worse): nothing past it is committed. The records before it
   * are, unless the failed record left state writes behind (they cannot be told apart from the others').
   * (A topic a chooser picked before it must exist first, or the commit would wait for it in vain.)
   */
  private async processingFailed(task: StreamTask, err: Error): Promise<void> {
    if (err instanceof RecordError && err.committableBefore && (await this.missingChosenTopics(task)) === undefined) {
      const commitError = await this.commitOnce(task);
      if (commitError) this.options.logger.warn({ task: task.id, err: commitError }, "could not commit the records before the failed one");
    }
    this.options.fail(err);
  }

  /**
   * Waits until the serdes have every schema the batch needs (fetched from the registry once, then cached).
   * While the registry is unreachable the task waits with backoff and heartbeats: its earlier work is
   * committed first, nothing of this batch is processed. False: give the batch up (it is fetched again).
   */
  private async warmUp(task: StreamTask, batch: PartitionBatch, control: BatchControl): Promise<boolean> {
    const warmUps = () => task.warmUps(batch.topic, batch.messages);
    if (warmUps().length === 0) return true;
    try {
      return await awaitWarmUps(warmUps, {
        task: task.id,
        logger: this.options.logger,
        metrics: this.options.metrics,
        heartbeat: () => control.heartbeat(),
        abandoned: () => this.stopping || this.closed || control.isStale() || !control.isRunning() || this.tasks.get(task.id) !== task || task.status !== "running",
        beforeWaiting: async () => {
          if (task.hasUncommitted()) await this.commit(task);
        },
      });
    } catch (err) {
      // The registry answered, and no retry will change the answer (e.g. a sink's schema is incompatible).
      this.options.fail(new Error(`task ${task.id} cannot prepare its serdes: ${(err as Error).message}`, { cause: err }));
      return false;
    }
  }

  /** Fetching of a partition moved past `lastOffset`, including batches of only transaction markers. */
  onBatchEnd(end: BatchEnd): void {
    if (!this.changelogTopics.has(end.topic)) {
      // An input batch of only markers (or aborted records): fetching moved past them, which tells a
      // multi-input task whether the partition is caught up. (A batch with records is accounted for by
      // onBatch, which may have left it to be fetched again.)
      if (end.records !== 0 || end.firstOffset === undefined || end.firstOffset === null) return;
      const input = this.tasks.get(taskId(this.options.topology.subTopologyOf(end.topic).id, end.partition));
      if (input?.status === "running") input.queues?.fetchedUpTo(end.topic, end.firstOffset, end.lastOffset, end.highWatermark);
      return;
    }
    const task = this.taskOfChangelog(end.topic, end.partition);
    if (task?.status !== "restoring") return;
    if (task.restoredUpTo(end.topic, end.lastOffset)) this.run(task);
  }

  /**
   * Commits one task. A failed commit drops the task and opens it again from its last commit (fenced, or
   * a transient error); an error that would recur on every retry stops the app instead of looping.
   */
  async commit(task: StreamTask): Promise<void> {
    const error = await this.commitOnce(task);
    if (error === undefined) {
      this.failedCommits.delete(task.id);
      return;
    }
    // A processing error: commitOnce has stopped the app.
    if (error instanceof WeirError) return;
    const failures = (this.failedCommits.get(task.id) ?? 0) + 1;
    this.failedCommits.set(task.id, failures);
    if (recursOnRetry(error) || failures >= maxConsecutiveFailedCommits) {
      this.options.fail(new Error(`task ${task.id} cannot commit (${failures} failed in a row): ${error.message}`, { cause: error }));
      return;
    }
    await this.recover(task);
  }

  /** Commits one task; the error when the commit failed and the task's state was rolled back. */
  private async commitOnce(task: StreamTask): Promise<Error | undefined> {
    const offsets = new Map(task.uncommittedOffsets().map((o) => [`${o.topic}:${o.partition}`, o.offset]));
    try {
      await task.commit();
      this.options.committed?.(task, offsets);
      return undefined;
    } catch (err) {
      // Async work (mapValuesAsync) that failed before the commit: a processing error, which stops the app.
      if (err instanceof WeirError) this.options.fail(err);
      else this.options.logger.warn({ task: task.id, err }, "commit failed (fenced or aborted): the task's uncommitted work is dropped");
      return err as Error;
    }
  }

  /**
   * A topic chooser may pick any name; as in Kafka Streams the topic must exist. Weir checks each new one
   * against the cluster after the batch that chose it, and stops the app naming it if it does not (rather
   * than letting the producer retry a missing topic until the commit fails).
   */
  private async missingChosenTopics(task: StreamTask): Promise<WeirError | undefined> {
    const unknown = this.unknownChosenTopics(task);
    if (unknown.length === 0) return undefined;
    const counts = await this.options.admin.partitionCounts(unknown);
    for (const topic of counts.keys()) this.knownOutputTopics.add(topic);
    const missing = unknown.filter((t) => !counts.has(t));
    if (missing.length === 0) return undefined;
    return new WeirError(
      "WEIR_TOPIC_MISSING",
      `task ${task.id}: a topic chooser picked ${missing.map((t) => `"${t}"`).join(", ")}, which ${missing.length === 1 ? "does" : "do"} not exist; create ${missing.length === 1 ? "it" : "them"} first (Weir creates only its own internal topics)`,
    );
  }

  private unknownChosenTopics(task: StreamTask): string[] {
    const chosen = task.chosenTopics();
    if (chosen.size === 0) return [];
    return [...chosen].filter((t) => !this.knownOutputTopics.has(t));
  }

  /** Commits every task with uncommitted work. */
  async commitAll(): Promise<void> {
    await Promise.all([...this.tasks.values()].map(async (task) => {
      await task.idle();
      await this.commit(task);
    }));
  }

  /** Step 5: the task is closed (state rolled back) and opened again; run() rewinds its inputs to its committed offsets. */
  private async recover(failed: StreamTask): Promise<void> {
    const generation = this.generation;
    const inputs = new Map(failed.subTopology.sourceTopics.map((t) => [t, [failed.partition]]));
    this.control!.pause(inputs);
    if (this.tasks.get(failed.id) === failed) this.tasks.delete(failed.id);
    await failed.close();
    if (generation !== this.generation) return;
    const task = await this.openTask({ subTopology: failed.subTopology.id, partition: failed.partition });
    if (generation !== this.generation) {
      await task.close();
      return;
    }
    this.tasks.set(task.id, task);
    await this.restore(generation, [task]);
  }

  /** Ready means: assigned, and every assigned task restored and running. Otherwise, why not. */
  readiness(): { ready: true } | { ready: false; reason: string } {
    if (!this.assigned) return { ready: false, reason: "waiting for the group to assign tasks" };
    const restoring = [...this.tasks.values()].filter((t) => t.status !== "running").map((t) => t.id);
    if (restoring.length > 0) return { ready: false, reason: `tasks not running yet (restoring): ${restoring.join(", ")}` };
    return { ready: true };
  }

  snapshots(): TaskSnapshot[] {
    return [...this.tasks.values()].map((t) => t.snapshot());
  }

  storeSizes(): { task: string; store: string; entries: number; bytes: number }[] {
    return [...this.tasks.values()].flatMap((t) => t.storeSizes());
  }

  count(): number {
    return this.tasks.size;
  }

  /** The task with this id, if this instance runs it. */
  task(id: string): StreamTask | undefined {
    return this.tasks.get(id);
  }

  all(): IterableIterator<StreamTask> {
    return this.tasks.values();
  }

  /** Closes every task (uncommitted work is rolled back: commit first to keep it). */
  async closeAll(): Promise<void> {
    this.closed = true;
    clearInterval(this.ticker);
    this.generation += 1;
    await this.reconciling;
    const tasks = [...this.tasks.values()];
    this.tasks.clear();
    await Promise.all(tasks.map((t) => t.close()));
  }

  private taskOfChangelog(topic: string, partition: number): StreamTask | undefined {
    const key = changelogPartitionKey(topic, partition);
    for (const task of this.tasks.values()) if (task.changelogs.has(key)) return task;
    return undefined;
  }
}

const maxConsecutiveFailedCommits = 5;

/** Production errors that the same records will meet again: retrying the commit cannot help. */
function recursOnRetry(error: Error): boolean {
  const type = (error as { type?: unknown }).type;
  return (
    type === "MESSAGE_TOO_LARGE" ||
    type === "RECORD_LIST_TOO_LARGE" ||
    type === "INVALID_RECORD" ||
    type === "TOPIC_AUTHORIZATION_FAILED" ||
    type === "TRANSACTIONAL_ID_AUTHORIZATION_FAILED" ||
    type === "GROUP_AUTHORIZATION_FAILED"
  );
}
