// A task with state: the processor graph of one sub-topology on one partition, its SQLite file, the
// outputs (pending-outputs.ts) and input offsets (input-offsets.ts) not yet committed, and its status
// (task-state.ts) through restore (task-restore.ts), processing (failed records: task-error-handling.ts)
// and commit. The task prepares a commit and takes its result (prepareCommit, postCommit, rollback);
// TaskManager runs the commit itself through the task's output (task-commit.ts). The step numbers are
// DESIGN.md's "Exactly-once, step by step".
import { existsSync } from "node:fs";
import type { BatchMessage, PartitionBatch, ProducedRecord, TopicPartitionOffset } from "../kafka/index.ts";
import type { ChangelogBatch } from "../state/changelog-batch.ts";
import { StateFile } from "../state/state-file.ts";
import type { CommittedView } from "../state/committed-reads.ts";
import type { SubTopology } from "../topology/graph.ts";
import type { WeirMetrics } from "../metrics/metrics.ts";
import type { Logger } from "./logger.ts";
import { SerdeWarmUps } from "./serde-warm-ups.ts";
import { ProcessorGraph } from "./processor-graph.ts";
import { failOnEveryError, TaskErrorHandling } from "./task-error-handling.ts";
import { taskId } from "./task-id.ts";
import { TaskStores } from "./task-stores.ts";
import { CommitSchedule } from "./commit-schedule.ts";
import { BufferedInputs } from "./buffered-inputs.ts";
import { RecordProcessing } from "./record-processing.ts";
import type { CommitTrigger, PreparedCommit, StreamTaskOptions, TaskSnapshot } from "./stream-task-types.ts";
import { InputOffsets } from "./input-offsets.ts";
import { outputCounts, PendingOutputs } from "./pending-outputs.ts";
import { CommitInFlight, isFencing } from "./task-commit.ts";
import { TaskState, type TaskStatus } from "./task-state.ts";

export type { TaskStatus } from "./task-state.ts";
export type { CommitTrigger, PreparedCommit, StreamTaskOptions, TaskSnapshot } from "./stream-task-types.ts";

export class StreamTask {
  readonly id: string;
  readonly partition: number;
  readonly subTopology: SubTopology;
  readonly statePath: string;
  /** `topic:partition` of each store's changelog partition → its store name. */
  readonly changelogs: ReadonlyMap<string, string>;
  private readonly graph: ProcessorGraph;
  private readonly stores: TaskStores;
  private readonly logger: Logger;
  private readonly metrics: WeirMetrics;
  private readonly outputs: PendingOutputs;
  private readonly inputs: InputOffsets;
  /** The task's stream time as of its last commit, to go back to on rollback. */
  private committedStreamTimeMs: number;
  private readonly lifecycle: TaskState;
  private readonly schedule: CommitSchedule;
  /** prepareCommit until postCommit or commitFailed: processing waits for it, so a commit never sees half a batch. */
  private readonly committing = new CommitInFlight();
  private readonly errors: TaskErrorHandling;
  private readonly warmUpsOfSerdes: SerdeWarmUps;
  private readonly processor: RecordProcessing;
  /** Several input partitions: fetched records wait here, to be processed in timestamp order. Undefined for one. */
  private readonly buffered: BufferedInputs | undefined;

  private constructor(options: StreamTaskOptions, state: StateFile) {
    const { subTopology, partition, applicationId } = options;
    this.subTopology = subTopology;
    this.partition = partition;
    this.statePath = options.statePath;
    this.schedule = new CommitSchedule(options.commitIntervalMs ?? 100);
    this.logger = options.logger;
    this.metrics = options.metrics;
    this.id = taskId(subTopology.id, partition);
    this.stores = new TaskStores(state, { task: this.id, subTopology, partition, applicationId, metrics: this.metrics, logger: this.logger });
    this.changelogs = this.stores.changelogs;
    const stores = this.stores.stores;
    const visible = options.globalStores ? new Map<string, unknown>([...stores, ...options.globalStores]) : stores;
    this.outputs = new PendingOutputs(options.maxMessageBytes);
    this.inputs = new InputOffsets(subTopology.sourceTopics, partition);
    this.buffered =
      subTopology.sourceTopics.length > 1
        ? new BufferedInputs(subTopology.sourceTopics, options.maxTaskIdleMs ?? 0, {
            eventTimeOf: (topic, message) => this.graph.eventTimeOf(topic, message),
            firstUnprocessed: (topic, messages) => this.inputs.firstUnprocessed(topic, messages),
            running: () => this.status === "running",
            commitInFlight: () => this.committing.done,
            process: (topic, messages) => this.process(topic, messages),
          })
        : undefined;
    this.graph = new ProcessorGraph(
      subTopology,
      partition,
      applicationId,
      {
        // An output its topic would refuse is a production error now, at its record, not at the commit.
        collect: (r) => this.outputs.add(r),
        productionFailed: (e) => this.errors.productionFailed(e),
      },
      visible,
      (reason) => this.metrics.droppedRecords(reason, 1),
      (store) => this.metrics.lateRecordsDropped(store, 1),
      Date.now,
      options.recordCache,
    );
    this.lifecycle = new TaskState(this.id);
    this.errors = new TaskErrorHandling({
      subTopology,
      settings: options.errorHandling ?? failOnEveryError,
      task: this.id,
      partition,
      logger: this.logger,
      outputs: this.outputs,
      writeCount: () => this.stores.writeCount,
    });
    this.processor = new RecordProcessing(this.graph, this.errors, this.inputs);
    this.warmUpsOfSerdes = new SerdeWarmUps(subTopology, applicationId);
    // Stream time is not persisted: it is recomputed from what the window and session stores hold.
    this.committedStreamTimeMs = this.stores.streamTimeMs();
    this.graph.streamTimeMs = this.committedStreamTimeMs;
  }

  /**
   * Opens the task's SQLite file (a missing or corrupt one starts empty). Step 1, fencing any other owner
   * of the task through its output, is the caller's (TaskManager's) next step.
   */
  static open(options: StreamTaskOptions): StreamTask {
    const existed = existsSync(options.statePath);
    const state = StateFile.open(options.statePath, { cacheMaxBytes: options.cacheMaxBytes, pageCacheBytes: options.pageCacheBytes });
    let task: StreamTask;
    try {
      task = new StreamTask(options, state);
    } catch (err) {
      // A topology the task cannot be built from (e.g. a chooser sink with a registry serde): no open file left behind.
      state.close();
      throw err;
    }
    task.stores.rebuilt = !existed || state.rebuilt;
    if (state.rebuilt) {
      task.logger.warn({ task: task.id, path: options.statePath, reason: state.rebuildReason }, "state file was corrupt: rebuilding it from the changelogs");
    }
    return task;
  }

  get status(): TaskStatus {
    return this.lifecycle.current;
  }

  /** The checkpoint summed over the task's changelog partitions; undefined for a task without stores. */
  changelogPosition(): number | undefined {
    return this.changelogs.size > 0 ? this.stores.position() : undefined;
  }

  /** The file claims changelog offsets its changelog lacks (recreated, or the app reset): another history. */
  checkpointBeyond(ends: ReadonlyMap<string, string>): string | undefined {
    return this.stores.checkpointBeyond(ends);
  }

  /**
   * Step 2: given each changelog partition's end (read once the previous owner's last transaction is
   * resolved), the changelog partitions to replay from the checkpoint, each with its start; none: runs at once.
   */
  beginRestore(ends: ReadonlyMap<string, string>): Map<string, string> {
    this.lifecycle.transition("restoring");
    const toFetch = this.stores.beginRestore(ends);
    if (toFetch.size === 0) this.running();
    return toFetch;
  }

  /** Applies a fetched batch of a changelog partition in one SQLite transaction with its checkpoint. */
  restoreBatch(topic: string, batch: ChangelogBatch, next: bigint): void {
    if (this.stores.restoreBatch(topic, batch, next)) this.graph.stateReset();
  }

  /** Fetching the changelog partition got past `lastOffset` (markers included); true once all are restored. */
  restoredUpTo(topic: string, lastOffset: string): boolean {
    const done = this.stores.restoredUpTo(topic, lastOffset);
    if (this.status === "restoring" && done) this.running();
    return this.status === "running";
  }

  /** Restored: stream time starts from what the restored window and session stores hold. */
  private running(): void {
    this.lifecycle.transition("running");
    this.committedStreamTimeMs = Math.max(this.committedStreamTimeMs, this.stores.streamTimeMs());
    this.graph.streamTimeMs = this.committedStreamTimeMs;
  }

  /** Waits for a commit or a batch in flight, so that processing never interleaves with a commit. */
  async idle(): Promise<void> {
    while (this.committing.done || this.processor.processing || this.buffered?.draining) {
      if (this.committing.done) await this.committing.done;
      else if (this.buffered?.draining) await this.buffered.draining;
      else await this.processor.processing!.catch(() => undefined);
    }
  }

  /** A commit or a batch is in flight: the wall-clock tick must not run now. */
  busy(): boolean {
    return this.committing.done !== undefined || this.processor.processing !== undefined || this.buffered?.draining !== undefined;
  }

  /**
   * The runtime's wall-clock tick: fires processing-time timers and wall-clock punctuators due at `nowMs`
   * (never during a batch or a commit, never while restoring); what they forward goes out in the next
   * commit. Returns whether anything fired. Throws a WeirError when a timer or punctuator fails.
   */
  punctuate(nowMs: number): boolean {
    if (this.status !== "running" || this.busy()) return false;
    return this.graph.punctuateWallClock(nowMs) > 0;
  }

  /** The topics topic choosers have picked (the task manager checks that they exist). */
  chosenTopics(): ReadonlySet<string> {
    return this.graph.chosenTopics;
  }

  /**
   * A fetched batch of `topic` was processed, with the partition's end at `highWatermark` (for lag); `nextOffset`:
   * the offset after the batch's last entry, its trailing transaction markers included (PartitionBatch.nextOffset;
   * else the last record's offset + 1). Caught up with the partition and nothing buffered: a commit is due at once
   * (commitDue).
   */
  batchProcessed(topic: string, nextOffset: string, highWatermark: string): void {
    this.inputs.noteHighWatermark(topic, highWatermark);
    if (BigInt(nextOffset) >= BigInt(highWatermark) && !this.hasBuffered()) this.schedule.request();
  }

  snapshot(): TaskSnapshot {
    return { id: this.id, status: this.status, partitions: this.inputs.snapshot() };
  }

  /** Runs `read` on the stores' committed state (interactive queries); see StateFile.readCommitted. */
  readCommitted<T>(read: (view: CommittedView) => T): Promise<T> {
    return this.stores.readCommitted(read);
  }

  /** Entries of each store and the file's size, for the metrics. */
  storeSizes(): { task: string; store: string; entries: number; bytes: number }[] {
    return this.status === "closed" ? [] : this.stores.sizes();
  }

  /** What the serdes must fetch (schemas) before the batch can be processed; empty when nothing. */
  warmUps(topic: string, messages: readonly BatchMessage[]): Promise<void>[] {
    return this.warmUpsOfSerdes.pending(topic, messages, this.inputs.firstUnprocessed(topic, messages));
  }

  /** Step 3: runs records through the sub-topology (record-processing.ts); resolves with how many it processed. */
  process(topic: string, messages: readonly BatchMessage[]): Promise<number> {
    return this.processor.process(topic, messages);
  }

  /** A fetched batch: processed at once, or, with several input partitions, in timestamp order with the others'. */
  async processBatch(batch: PartitionBatch): Promise<Map<string, number>> {
    if (!this.buffered) return new Map([[batch.topic, await this.process(batch.topic, batch.messages)]]);
    // Its records can be marked fetched at once: positions count processed records only, and every rewind drops the queues.
    this.enqueue(batch.topic, batch.messages, batch.highWatermark, batch.nextOffset);
    return this.processBuffered(Date.now());
  }

  /** Records of a multi-input task wait for their turn (processBuffered). */
  hasBuffered(): boolean {
    return (this.buffered?.size() ?? 0) > 0;
  }

  /** Fetching of an input moved past `firstOffset`..`lastOffset` without records (markers): it may be caught up. */
  fetchedUpTo(topic: string, firstOffset: string, lastOffset: string, highWatermark: string): void {
    this.buffered?.fetchedUpTo(topic, firstOffset, lastOffset, highWatermark);
  }

  /** Fetching of the inputs starts (again): where it resumes; records buffered beyond are fetched again. */
  startFetching(): ReadonlyMap<string, string> {
    const offsets = this.inputs.resumeOffsets();
    this.buffered?.reset(offsets);
    return offsets;
  }

  /**
   * A multi-input task waits for an empty partition until it is known to be caught up, and one with nothing
   * to fetch never yields a batch: the caller reads the ends once and notes them here (undefined: one input).
   */
  inputEndsListener(): ((topic: string, endOffset: string) => void) | undefined {
    return this.buffered?.endsListener();
  }

  /** A multi-input task: queues a fetched batch (its records not processed yet) for processBuffered; `nextOffset` as in PartitionBatch. */
  enqueue(topic: string, messages: readonly BatchMessage[], highWatermark: string, nextOffset?: string): void {
    this.buffered!.enqueue(topic, messages, highWatermark, nextOffset);
  }

  /**
   * Processes buffered records in timestamp order while the queues allow (BufferedInputs.drain); resolves with
   * how many per topic. On the wall-clock `tick`, emptying the queues makes a commit due at once (commitDue).
   */
  async processBuffered(nowMs: number, trigger: CommitTrigger = "processing"): Promise<Map<string, number>> {
    if (!this.buffered) return new Map();
    const counts = await this.buffered.drain(nowMs);
    const processed = [...counts.values()].reduce((a, b) => a + b, 0);
    if (trigger === "tick" && processed > 0 && this.buffered.size() === 0) this.schedule.request();
    return counts;
  }

  /** Takes the group's committed offsets (read after fencing) for inputs this task has not committed itself. */
  adoptCommittedInputs(committed: ReadonlyMap<string, string>): void {
    this.inputs.adoptCommitted(committed);
  }

  /** Inputs processed, outputs waiting, or state written (by a timer on the tick) since the last commit. */
  hasUncommitted(): boolean {
    return this.inputs.hasUncommitted() || this.outputs.length > 0 || this.stores.hasWrites();
  }

  /** Whether a commit is due now, for the caller's decision point: every rule is in commit-schedule.ts. */
  commitDue(now: number, trigger: CommitTrigger = "processing"): boolean {
    return this.schedule.due(now, trigger, { uncommitted: this.hasUncommitted(), outputsOverLimit: this.outputs.overLimit() });
  }

  /** The input offsets processed and not yet committed. */
  uncommittedOffsets(): TopicPartitionOffset[] {
    return this.inputs.uncommitted();
  }

  /**
   * Step 4, first half: async work settles, the record cache forwards its updates, the write cache becomes changelog
   * records; with the outputs and input offsets they are what the caller commits (one Kafka transaction under
   * exactly-once); undefined when nothing is to commit (or the task is not running). Until postCommit() or rollback()
   * processing waits. Throws a WeirError when async work or the flush failed (the task is then not committing).
   */
  async prepareCommit(): Promise<PreparedCommit | undefined> {
    this.schedule.preparing();
    if (!this.hasUncommitted() || this.status !== "running") return undefined;
    this.committing.begin();
    const startedMs = performance.now();
    try {
      // Only completed work is committed: async calls settle and their results go downstream first.
      if (this.graph.hasAsyncWork) await this.graph.settle();
      this.graph.flushRecordCache();
      const changelog = this.stores.flush();
      const records: ProducedRecord[] = this.outputs.take();
      const { outputsPerTopic, inputTimestamps } = outputCounts(records);
      for (const c of changelog) records.push(c);
      return { records, offsets: this.inputs.takeUncommitted(), outputsPerTopic, inputTimestamps, startedMs };
    } catch (err) {
      this.committing.end();
      throw err;
    }
  }

  /**
   * Step 4, second half: Kafka committed `prepared` (`ends`: per changelog partition, the offset after its last
   * record); SQLite commits with the new checkpoint. (A crash between the two is repaired by step 2's replay.)
   */
  postCommit(prepared: PreparedCommit, ends: ReadonlyMap<string, string>): void {
    try {
      this.inputs.committedAt(prepared.offsets);
      this.stores.commit(ends);
      this.committedStreamTimeMs = this.graph.streamTimeMs;
      const now = Date.now();
      this.schedule.committed(now);
      for (const { kind, action, count } of this.errors.takeCounts()) this.metrics.errorRecords(kind, action, count);
      this.metrics.committed((performance.now() - prepared.startedMs) / 1000, prepared.outputsPerTopic, prepared.inputTimestamps, now);
    } finally {
      this.committing.end();
    }
  }

  /** Step 5: Kafka refused the commit (fenced, or the transaction failed): all since the last commit is rolled back. */
  commitFailed(error: unknown): void {
    try {
      this.metrics.commitFailed(isFencing(error));
      this.rollback();
    } finally {
      this.committing.end();
    }
  }

  /** Forgets all since the last commit: fetching resumes from the committed offsets, so it would be applied twice. */
  rollback(): void {
    if (this.status === "closed") return;
    this.outputs.clear();
    this.inputs.rollback();
    this.schedule.rolledBack();
    // Fetching resumes from the committed offsets: what is buffered is fetched again.
    this.buffered?.reset();
    this.errors.clearCounts();
    this.stores.rollback();
    this.graph.stateReset();
    // The records that moved stream time since the commit will be processed again.
    this.graph.streamTimeMs = this.committedStreamTimeMs;
  }

  /** A failed commit, rolled back: the task takes no records (it is not running) until it is recovered or closed. */
  suspend(): void {
    if (this.status === "running") this.lifecycle.transition("restoring");
  }

  /** Rolls back what was not committed and closes the file (the caller closes the task's output). */
  async close(): Promise<void> {
    if (this.status === "closed") return;
    await this.idle();
    this.rollback();
    this.lifecycle.transition("closed");
    this.graph.close();
    this.stores.close();
  }
}
