// Keeps the tasks this instance owns in step with the group: opens, restores (task-restorer.ts), runs (task-batches.ts),
// commits, recovers and closes them as partitions are assigned and revoked. It is the one owner of the
// commit sequence (task-commit.ts) and of each task's output. The group consumer reads the inputs; the
// assignor hands out a task's changelog partitions with them, but they stay paused: restore reads them
// through the client's partition reader (task-restorer.ts). An input partition is fetched only while its
// task runs. What it needs of Kafka: kafka-ports.ts.
import type { Assignment, BatchControl, BatchEnd, GroupAssignmentPlanner, GroupMetadata, PartitionBatch } from "../kafka/index.ts";
import { Topology } from "../topology/topology.ts";
import type { WeirConfig } from "./config.ts";
import { WeirError } from "./errors.ts";
import type { WeirMetrics } from "../metrics/metrics.ts";
import type { Logger } from "./logger.ts";
import { StreamTask, type TaskSnapshot } from "./stream-task.ts";
import { taskPlanner, type MemberInfo } from "./group-planner.ts";
import { TaskCreator, type TaskCreatorOptions } from "./task-creator.ts";
import type { ChangelogReaderPort, PartitionControl, TaskAdminPort, TaskOutputPort } from "./kafka-ports.ts";
import { commitTask, CommitFailures, RebalanceCommitGate } from "./task-commit.ts";
import { isTaskMigrated } from "./instance-transactions.ts";
import { deleteStateFile, TaskRestorer } from "./task-restorer.ts";
import { OutputTopics } from "./output-topics.ts";
import { WallClockTick } from "./wall-clock-tick.ts";
import { MemberAssignment } from "./member-assignment.ts";
import { planRebalance } from "./rebalance-plan.ts";
import { TaskReconciler } from "./task-reconciler.ts";
import { TaskBatches } from "./task-batches.ts";

export type { PartitionControl } from "./kafka-ports.ts";

/** `releaseStandby`: this instance's standby of a task about to open here closes first (standby-tasks.ts). */
export interface TaskManagerOptions extends Pick<TaskCreatorOptions, "releaseStandby"> {
  readonly topology: Topology;
  readonly config: WeirConfig;
  readonly logger: Logger;
  readonly admin: TaskAdminPort;
  readonly metrics: WeirMetrics;
  readonly outputFor: (taskId: string) => TaskOutputPort;
  /** Reads the changelog partitions of restoring tasks, without the group. */
  readonly changelogReader: ChangelogReaderPort;
  /** The app stops with this error (a record that cannot be processed, a task that cannot be opened). */
  readonly fail: (error: Error) => void;
  /** Called after every successful commit of a task, with the input offsets it committed. */
  readonly committed?: (task: StreamTask, offsets: ReadonlyMap<string, string>) => void;
  /** The instance's global stores (GlobalKTables), which every task may read. */
  readonly globalStores?: () => ReadonlyMap<string, unknown> | undefined;
  /** A test hook (restore-hold.ts): awaited before a restoring task's changelogs are fetched. */
  readonly restoreHold?: ((task: string) => Promise<void>) | undefined;
  /** Exactly-once v2: the generation of the assignment the group consumer hands over (read in onAssignment). */
  readonly groupMetadata?: () => GroupMetadata | undefined;
}

export class TaskManager {
  private readonly options: TaskManagerOptions;
  private readonly tasks = new Map<string, StreamTask>();
  /** Opens tasks with their outputs, and closes them. */
  private readonly creator: TaskCreator;
  private readonly changelogTopics: ReadonlySet<string>;
  private control: PartitionControl | undefined;
  /** Bumped at every assignment: work started for an older one stops at its next step. */
  private generation = 0;
  private reconciling: Promise<void> = Promise.resolve();
  /** The last assignment's tasks (a task in it and in the next one is kept) and the generation they commit under. */
  private readonly membership = new MemberAssignment();
  /** Tasks whose failed commit queued a recovery: a reconcile that keeps them leaves them to it. */
  private readonly recovering = new Set<StreamTask>();
  /** Set by closeAll(): the app is leaving the group, so a last rebalance must not open tasks again. */
  private closed = false;
  private readonly commitFailures = new CommitFailures();
  private readonly rebalanceGate = new RebalanceCommitGate();
  /** True once the group has given this instance an assignment (possibly an empty one). */
  private assigned = false;
  /** Set when the app starts stopping: a batch waiting for the schema registry gives up. */
  private stopping = false;
  /** The topics topic choosers picked, checked against the cluster. */
  private readonly outputTopics: OutputTopics;
  /** The wall-clock tick (processing-time timers, wall-clock punctuators), while tasks may run. */
  private readonly ticker: WallClockTick;
  private readonly restorer: TaskRestorer;
  private readonly reconciler: TaskReconciler;
  private readonly batches: TaskBatches;

  constructor(options: TaskManagerOptions) {
    this.options = options;
    const { topology, config } = options;
    this.changelogTopics = new Set(topology.subTopologies.flatMap((s) => s.stores.map((store) => Topology.changelogTopic(config.applicationId, store.name))));
    this.outputTopics = new OutputTopics(topology, options.admin);
    this.creator = new TaskCreator(options);
    this.ticker = new WallClockTick({
      tasks: () => this.tasks.values(),
      commit: (task) => this.commit(task),
      processBuffered: (task) => this.batches.processBuffered(task),
      fail: options.fail,
    });
    this.restorer = new TaskRestorer({
      applicationId: config.applicationId,
      admin: options.admin,
      logger: options.logger,
      control: () => this.control!,
      reader: options.changelogReader,
      owns: (task) => this.tasks.get(task.id) === task,
      current: (generation) => generation === this.generation,
      fail: options.fail,
      hold: options.restoreHold,
      reopen: (task) => this.reopenEmpty(task),
    });
    this.reconciler = new TaskReconciler({
      tasks: this.tasks,
      creator: this.creator,
      restorer: this.restorer,
      logger: options.logger,
      current: (generation) => generation === this.generation,
      commitOnce: (task) => this.commitOnce(task),
      recovering: (task) => this.recovering.has(task),
    });
    this.batches = new TaskBatches({
      topology,
      changelogTopics: this.changelogTopics,
      tasks: this.tasks,
      outputTopics: this.outputTopics,
      metrics: options.metrics,
      logger: options.logger,
      fail: options.fail,
      commit: (task) => this.commit(task),
      commitOnce: (task) => this.commitOnce(task),
      abandoned: () => this.stopping || this.closed,
    });
  }

  /** Every topic the group consumer subscribes to: the inputs and the changelogs. */
  subscribedTopics(): string[] {
    return [...this.options.topology.sourceTopics(), ...this.changelogTopics];
  }

  attach(control: PartitionControl): void {
    this.control = control;
    this.ticker.start();
  }

  /** The topics' max.message.bytes, read at start: an output over it is a production error at its record. */
  setMaxMessageBytes(limits: ReadonlyMap<string, number>): void {
    this.creator.maxMessageBytes = limits;
  }

  /** The app is stopping: batches waiting for the schema registry stop waiting. */
  beginShutdown(): void {
    this.stopping = true;
  }

  /** The assignment strategy of the group: whole tasks, sticky to where their state is; members advertise `applicationServer` (and their standbys). */
  planner(member: Omit<MemberInfo, "owned">): GroupAssignmentPlanner {
    // The standbys' positions, and those of the tasks running here.
    const positions = () => {
      const all = { ...member.positions?.() };
      for (const task of this.tasks.values()) {
        const position = task.changelogPosition();
        if (position !== undefined) all[task.id] = position;
      }
      return all;
    };
    return taskPlanner(this.options.topology, this.options.config, this.options.logger, { ...member, owned: () => [...this.tasks.keys()], positions });
  }

  /**
   * A new assignment (after every rebalance). Step 3 of docs/architecture.md, "The processing loop": on a
   * client that keeps fetching kept partitions, kept tasks go on untouched and only the others are closed
   * or opened; on one that revokes everything (kafkajs), every task stops. Nothing new is fetched until
   * its task is ready.
   */
  onAssignment(assignment: Assignment): void {
    if (this.closed) return;
    const generation = ++this.generation;
    this.restorer.cancel();
    this.assigned = true;
    this.options.metrics.rebalanced();
    const incremental = this.control!.keepsFetchingAcrossRebalances === true;
    const metadata = this.options.groupMetadata?.();
    const lost = this.membership.lostBefore(metadata);
    if (lost) {
      this.options.logger.warn({ tasks: [...this.tasks.keys()] }, "this member left the group since its last assignment (a new member id): its tasks are reopened from their changelogs");
      // Their uncommitted work was done on state others may have moved on from: it must never commit, not even
      // under the new generation. Suspended, they take no records and commit nothing; rolled back once the batch
      // or commit in flight ends, so that a newer assignment keeping one before this one's reconcile closes it
      // restores it from its last commit.
      for (const task of this.tasks.values()) {
        task.suspend();
        void task.idle().then(() => task.rollback());
      }
    }
    const plan = planRebalance(this.options.topology, this.changelogTopics, assignment, this.membership.keepable(lost), incremental);
    this.membership.assigned(plan.wanted.keys(), metadata);
    this.control!.pause(plan.toPause);
    this.rebalanceGate.assigned();
    const { wanted, kept } = plan;
    this.options.logger.info({ generation, tasks: [...wanted.keys()], kept: incremental ? [...kept] : undefined }, "tasks assigned");
    this.reconciling = this.reconciling
      .then(() => (incremental ? this.reconciler.reconcileIncrementally(generation, wanted, kept, lost) : this.reconciler.reconcileAll(generation, wanted, lost)))
      .catch((err: unknown) => this.options.fail(err as Error));
  }

  /** The member is about to rejoin: resolves once no commit is in flight; none begins until the next assignment. */
  rebalanceStarting(): Promise<void> {
    return this.rebalanceGate.rebalanceStarting();
  }

  /** The group generation a task's commit carries (v2); undefined when the task is not assigned to this member now. */
  commitGeneration(id: string): GroupMetadata | undefined {
    return this.closed ? undefined : this.membership.commitGeneration(id);
  }

  /** A task whose file does not match its changelog: closed, its file deleted, and opened again empty. */
  private async reopenEmpty(task: StreamTask): Promise<StreamTask> {
    await this.creator.close(task);
    deleteStateFile(task.statePath);
    const fresh = await this.creator.open({ subTopology: task.subTopology.id, partition: task.partition });
    this.tasks.set(fresh.id, fresh);
    return fresh;
  }

  /** A fetched batch of an input: processed by its task if it runs; anything else waits (task-batches.ts). */
  onBatch(batch: PartitionBatch, control: BatchControl): Promise<void> {
    return this.batches.onBatch(batch, control);
  }

  /** Fetching moved past a batch's last offset (task-batches.ts). */
  onBatchEnd(end: BatchEnd): void {
    this.batches.onBatchEnd(end);
  }

  /**
   * Commits one task. A failed commit drops the task and opens it again from its last commit (fenced, or
   * a transient error); an error that would recur on every retry stops the app instead of looping.
   */
  async commit(task: StreamTask): Promise<void> {
    // Due again at the next batch or tick after the assignment; a stopping app commits what it processed.
    if (this.rebalanceGate.holding && !this.stopping) return;
    // Restoring, or suspended (a failed commit, a lost member): nothing it holds may be committed.
    if (task.status !== "running") return;
    const error = await this.commitOnce(task);
    if (error === undefined) {
      this.commitFailures.succeeded(task.id);
      return;
    }
    // A processing error: commitOnce has stopped the app.
    if (error instanceof WeirError) return;
    // A task that migrated is reopened or dropped by the assignment; it never stops the app.
    const fatal = isTaskMigrated(error) ? undefined : this.commitFailures.failed(task.id, error);
    if (fatal) {
      this.options.fail(fatal);
      return;
    }
    task.suspend();
    this.control!.pause(new Map(task.subTopology.sourceTopics.map((t) => [t, [task.partition]])));
    // In the assignment chain: a recovery and a rebalance's reconcile both close and open the task's state
    // file, and interleaved they collide on it (WEIR_STATE_LOCKED, seen on @platformatic/kafka, whose
    // rebalances do not wait for a batch's commit). Not awaited: a reconcile may be waiting for this batch.
    // Under the generation of the failure: a rebalance before the recovery runs reopens the task itself.
    const generation = this.generation;
    this.recovering.add(task);
    this.reconciling = this.reconciling.then(() => this.recover(task, generation)).catch((err: unknown) => this.options.fail(err as Error));
  }

  /** Commits one task; the error when the commit failed and the task's state was rolled back. */
  private async commitOnce(task: StreamTask): Promise<Error | undefined> {
    const output = this.creator.output(task);
    if (!output) return undefined;
    try {
      const offsets = await this.rebalanceGate.track(commitTask(task, output));
      this.options.committed?.(task, offsets);
      return undefined;
    } catch (err) {
      // Async work (mapValuesAsync) that failed before the commit: a processing error, which stops the app.
      if (err instanceof WeirError) this.options.fail(err);
      else if (isTaskMigrated(err)) this.options.logger.info({ task: task.id, error: (err as { type: string }).type }, "commit refused: the group's generation moved on; the task's uncommitted work is dropped");
      else this.options.logger.warn({ task: task.id, err }, "commit failed (fenced or aborted): the task's uncommitted work is dropped");
      return err as Error;
    }
  }

  /** Commits every task with uncommitted work. */
  async commitAll(): Promise<void> {
    await Promise.all([...this.tasks.values()].map(async (task) => {
      await task.idle();
      await this.commit(task);
    }));
  }

  /** Step 5: the task is closed (state rolled back) and opened again; run() rewinds its inputs to its committed offsets. */
  private async recover(failed: StreamTask, generation: number): Promise<void> {
    this.recovering.delete(failed);
    // A reconcile since the failure closed or replaced it: nothing left to recover.
    if (this.tasks.get(failed.id) !== failed) return;
    const inputs = new Map(failed.subTopology.sourceTopics.map((t) => [t, [failed.partition]]));
    this.control!.pause(inputs);
    if (this.tasks.get(failed.id) === failed) this.tasks.delete(failed.id);
    await this.creator.close(failed);
    if (generation !== this.generation) return;
    const task = await this.creator.open({ subTopology: failed.subTopology.id, partition: failed.partition });
    if (generation !== this.generation) {
      await this.creator.close(task);
      return;
    }
    this.tasks.set(task.id, task);
    await this.restorer.restore(generation, [task], { fencedSinceCommit: true });
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

  /** Resolves once the reconciles and recoveries queued so far have run (a failed commit's recovery is queued, not awaited). */
  whenReconciled(): Promise<void> {
    return this.reconciling;
  }

  /** Closes every task (uncommitted work is rolled back: commit first to keep it). */
  async closeAll(): Promise<void> {
    this.closed = true;
    this.ticker.stop();
    this.generation += 1;
    await this.restorer.stop();
    await this.reconciling;
    const tasks = [...this.tasks.values()];
    this.tasks.clear();
    await Promise.all(tasks.map((t) => this.creator.close(t)));
  }
}
