// A task with state: the processor graph of one sub-topology on one partition, its SQLite file, the
// outputs (pending-outputs.ts) and input offsets (input-offsets.ts) not yet committed, and its status
// (task-state.ts) through restore (task-restore.ts), processing (failed records: task-error-handling.ts)
// and commit. The task prepares a commit and takes its result (prepareCommit, postCommit, rollback);
// TaskManager runs the commit itself through the task's output (task-commit.ts). The step numbers are
// DESIGN.md's "Exactly-once, step by step".
import { existsSync } from "node:fs";
import type { BatchMessage, PartitionBatch, ProducedRecord, TopicPartitionOffset } from "../kafka/index.ts";
import { StateFile } from "../state/state-file.ts";
import type { CommittedView } from "../state/committed-reads.ts";
import { changelogPartitionKey, type Checkpoint } from "../state/types.ts";
import type { SubTopology } from "../topology/graph.ts";
import { Topology } from "../topology/topology.ts";
import type { WeirMetrics } from "../metrics/metrics.ts";
import type { ErrorHandlingSettings } from "./error-handlers.ts";
import type { Logger } from "./logger.ts";
import { openStore, storedStreamTimeMs } from "./open-store.ts";
import { SerdeWarmUps } from "./serde-warm-ups.ts";
import { ProcessorGraph } from "./processor-graph.ts";
import { failOnEveryError, TaskErrorHandling } from "./task-error-handling.ts";
import { TaskRestore } from "./task-restore.ts";
import { RecordQueues } from "./record-queues.ts";
import { InputOffsets } from "./input-offsets.ts";
import { PendingOutputs } from "./pending-outputs.ts";
import { TaskState, type TaskStatus } from "./task-state.ts";

export type { TaskStatus } from "./task-state.ts";

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

export class StreamTask {
  readonly id: string;
  readonly partition: number;
  readonly subTopology: SubTopology;
  readonly statePath: string;
  /** `topic:partition` of each store's changelog partition → its store name. */
  readonly changelogs = new Map<string, string>();
  private readonly graph: ProcessorGraph;
  private readonly state: StateFile;
  private readonly logger: Logger;
  private readonly metrics: WeirMetrics;
  /** Per input topic, the partition's end offset when its last batch was fetched. */
  private readonly highWatermarks = new Map<string, string>();
  private readonly outputs: PendingOutputs;
  private readonly inputs: InputOffsets;
  private checkpoint: Checkpoint;
  private readonly restore: TaskRestore;
  private readonly stores = new Map<string, unknown>();
  /** The task's stream time as of its last commit, to go back to on rollback. */
  private committedStreamTimeMs: number;
  private readonly lifecycle: TaskState;
  private readonly commitIntervalMs: number;
  /** An event asked for a commit whatever the interval (a batch reached its partition's end); see commitDue. */
  private commitRequested = false;
  /** No usable local file (none, or a corrupt one): the stores are rebuilt from the changelogs' beginning. */
  private rebuilt = false;
  private lastCommit = Date.now();
  /** The commit in flight (prepareCommit until postCommit or rollback); processing waits for it, so a commit never sees half a batch. */
  private committing: { readonly done: Promise<void>; readonly resolve: () => void } | undefined;
  private readonly errors: TaskErrorHandling;
  private readonly warmUpsOfSerdes: SerdeWarmUps;
  /** The batch being processed while it waits for async calls (mapValuesAsync); commits and ticks wait for it. */
  private processing: Promise<unknown> | undefined;
  /** Timers or punctuators fired on the wall-clock tick since the last commit. */
  private punctuated = false;
  /**
   * A task with several input partitions: fetched records wait here and are processed in timestamp order
   * (processBuffered). Undefined for a task with one input partition, whose batches are processed as they come.
   */
  private readonly queues: RecordQueues | undefined;
  /** processBuffered() in flight; commits, ticks and batches wait for it. */
  private draining: Promise<void> | undefined;

  private constructor(options: StreamTaskOptions, state: StateFile) {
    const { subTopology, partition, applicationId } = options;
    this.subTopology = subTopology;
    this.partition = partition;
    this.statePath = options.statePath;
    this.commitIntervalMs = options.commitIntervalMs ?? 100;
    this.logger = options.logger;
    this.metrics = options.metrics;
    this.state = state;
    this.checkpoint = state.checkpoint();
    const stores = this.stores;
    for (const def of subTopology.stores) {
      const topic = Topology.changelogTopic(applicationId, def.name);
      stores.set(def.name, openStore(state, def, topic, partition));
      this.changelogs.set(changelogPartitionKey(topic, partition), def.name);
    }
    const visible = options.globalStores ? new Map<string, unknown>([...stores, ...options.globalStores]) : stores;
    this.outputs = new PendingOutputs(options.maxMessageBytes);
    this.inputs = new InputOffsets(subTopology.sourceTopics, partition);
    this.queues = subTopology.sourceTopics.length > 1 ? new RecordQueues(subTopology.sourceTopics, options.maxTaskIdleMs ?? 0) : undefined;
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
    );
    this.id = this.graph.id;
    this.lifecycle = new TaskState(this.id);
    this.errors = new TaskErrorHandling({
      subTopology,
      settings: options.errorHandling ?? failOnEveryError,
      task: this.id,
      partition,
      logger: this.logger,
      outputs: this.outputs,
      writeCount: () => this.state.writeCount,
    });
    this.warmUpsOfSerdes = new SerdeWarmUps(subTopology, applicationId);
    this.restore = new TaskRestore({ task: this.id, partition, changelogs: this.changelogs, state, metrics: this.metrics, logger: this.logger });
    // Stream time is not persisted: it is recomputed from what the window and session stores hold.
    this.committedStreamTimeMs = storedStreamTimeMs(stores.values());
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
    task.rebuilt = !existed || state.rebuilt;
    if (state.rebuilt) {
      task.logger.warn({ task: task.id, path: options.statePath, reason: state.rebuildReason }, "state file was corrupt: rebuilding it from the changelogs");
    }
    return task;
  }

  get status(): TaskStatus {
    return this.lifecycle.current;
  }

  /**
   * The file claims changelog offsets the changelog does not have (it was deleted and created again, or
   * the application was reset while the file stayed): its state belongs to another history.
   */
  checkpointBeyond(ends: ReadonlyMap<string, string>): string | undefined {
    return this.restore.checkpointBeyond(this.checkpoint, ends);
  }

  /**
   * Step 2: given each changelog partition's end offset (read after fencing), replays from the
   * checkpoint to the end. Returns the changelog partitions to fetch, each with its start offset;
   * none means the task runs at once.
   */
  beginRestore(ends: ReadonlyMap<string, string>): Map<string, string> {
    this.lifecycle.transition("restoring");
    const toFetch = this.restore.begin(this.checkpoint, ends);
    if (toFetch.size === 0) this.running();
    return toFetch;
  }

  /** Applies a fetched batch of a changelog partition in one SQLite transaction with its checkpoint. */
  restoreBatch(topic: string, messages: readonly BatchMessage[]): void {
    if (this.restore.apply(this.checkpoint, topic, messages)) this.graph.stateReset();
  }

  /**
   * Notes that fetching the changelog partition got past `lastOffset` (markers included). Returns true
   * once every store is restored, and the task turns to running.
   */
  restoredUpTo(topic: string, lastOffset: string): boolean {
    const done = this.restore.upTo(topic, lastOffset, this.rebuilt);
    if (this.status === "restoring" && done) this.running();
    return this.status === "running";
  }

  /** Restored: stream time starts from what the restored window and session stores hold. */
  private running(): void {
    this.lifecycle.transition("running");
    this.committedStreamTimeMs = Math.max(this.committedStreamTimeMs, storedStreamTimeMs(this.stores.values()));
    this.graph.streamTimeMs = this.committedStreamTimeMs;
  }

  /** Waits for a commit or a batch in flight, so that processing never interleaves with a commit. */
  async idle(): Promise<void> {
    while (this.committing || this.processing || this.draining) {
      if (this.committing) await this.committing.done;
      else if (this.draining) await this.draining;
      else await this.processing!.catch(() => undefined);
    }
  }

  /** A commit or a batch is in flight: the wall-clock tick must not run now. */
  busy(): boolean {
    return this.committing !== undefined || this.processing !== undefined || this.draining !== undefined;
  }

  /**
   * The runtime's wall-clock tick: fires processing-time timers and wall-clock punctuators due at `nowMs`
   * (never during a batch or a commit, never while restoring); what they forward goes out in the next
   * commit. Returns whether anything fired. Throws a WeirError when a timer or punctuator fails.
   */
  punctuate(nowMs: number): boolean {
    if (this.status !== "running" || this.busy()) return false;
    const fired = this.graph.punctuateWallClock(nowMs) > 0;
    if (fired) this.punctuated = true;
    return fired;
  }

  /** The topics topic choosers have picked so far (the task manager checks that they exist). */
  chosenTopics(): ReadonlySet<string> {
    return this.graph.chosenTopics;
  }

  /**
   * A fetched batch of `topic` was processed up to `lastOffset`, with the partition's end at `highWatermark`
   * (for lag). Caught up with the partition and nothing buffered: a commit is due at once (commitDue).
   */
  batchProcessed(topic: string, lastOffset: string, highWatermark: string): void {
    this.highWatermarks.set(topic, highWatermark);
    if (BigInt(lastOffset) + 1n >= BigInt(highWatermark) && (this.queues?.size() ?? 0) === 0) this.commitRequested = true;
  }

  snapshot(): TaskSnapshot {
    return {
      id: this.id,
      status: this.status,
      partitions: this.subTopology.sourceTopics.map((topic) => {
        const hw = this.highWatermarks.get(topic) ?? null;
        const { committed, position } = this.inputs.of(topic);
        return {
          topic,
          partition: this.partition,
          committedOffset: committed,
          highWatermark: hw,
          lag: hw === null || position === null ? null : Math.max(0, Number(BigInt(hw) - BigInt(position))),
        };
      }),
    };
  }

  /** Runs `read` on the stores' committed state (interactive queries); see StateFile.readCommitted. */
  readCommitted<T>(read: (view: CommittedView) => T): Promise<T> {
    return this.state.readCommitted(read);
  }

  /** Entries of each store and the file's size, for the metrics. */
  storeSizes(): { task: string; store: string; entries: number; bytes: number }[] {
    if (this.status === "closed") return [];
    const bytes = this.state.sizeBytes();
    return [...this.stores].map(([store, s]) => ({ task: this.id, store, entries: (s as { approximateNumEntries(): number }).approximateNumEntries(), bytes }));
  }

  /** What the serdes must fetch (schemas) before the batch can be processed; empty when nothing. */
  warmUps(topic: string, messages: readonly BatchMessage[]): Promise<void>[] {
    return this.warmUpsOfSerdes.pending(topic, messages, this.inputs.firstUnprocessed(topic, messages));
  }

  /**
   * Step 3: runs records through the sub-topology; state writes go to the open SQLite transaction.
   * Resolves with how many records it processed (records it had already processed are skipped). A batch of
   * a synchronous topology runs in one go; with async calls (mapValuesAsync) it waits whenever their
   * concurrency is used up. A record that fails goes to its error handler; under `fail` the RecordError is
   * thrown, with the position left at the failed record, so that a commit covers exactly the records before it.
   */
  async process(topic: string, messages: readonly BatchMessage[]): Promise<number> {
    if (!this.graph.hasAsyncWork) return this.processSync(topic, messages);
    const running = this.processAsync(topic, messages);
    this.processing = running;
    try {
      return await running;
    } finally {
      this.processing = undefined;
    }
  }

  /**
   * Processes a fetched batch of an input partition: at once (process), or, with several input partitions,
   * queued and processed in timestamp order with the others' (enqueue, processBuffered). Resolves with how
   * many records it processed per topic. Errors as process().
   */
  async processBatch(batch: PartitionBatch): Promise<Map<string, number>> {
    if (!this.queues) return new Map([[batch.topic, await this.process(batch.topic, batch.messages)]]);
    // Several input partitions: the batch waits its turn in timestamp order. Its records can be marked
    // fetched at once: the task's own positions count processed records only, and every rewind drops the queues.
    this.enqueue(batch.topic, batch.messages, batch.highWatermark);
    return this.processBuffered(Date.now());
  }

  /** Records of a multi-input task wait for their turn (processBuffered). */
  hasBuffered(): boolean {
    return (this.queues?.size() ?? 0) > 0;
  }

  /**
   * Fetching of an input partition moved past `firstOffset`..`lastOffset` without records (transaction
   * markers, aborted records): a multi-input task learns that the partition is caught up (RecordQueues).
   */
  fetchedUpTo(topic: string, firstOffset: string, lastOffset: string, highWatermark: string): void {
    this.queues?.fetchedUpTo(topic, firstOffset, lastOffset, highWatermark);
  }

  /**
   * Fetching of the inputs starts (again): where it must resume (resumeOffsets); records buffered beyond
   * these offsets are dropped, to be fetched again.
   */
  startFetching(): ReadonlyMap<string, string> {
    const offsets = this.inputs.resumeOffsets();
    this.queues?.reset(offsets);
    return offsets;
  }

  /**
   * A multi-input task waits for an empty partition until it is known to be caught up (RecordQueues); a
   * partition with nothing to fetch never yields a batch, so the caller reads its end once and notes it
   * here. The function notes ends for the current fetching only (a later rewind ignores them); undefined
   * for a task with one input partition.
   */
  inputEndsListener(): ((topic: string, endOffset: string) => void) | undefined {
    const queues = this.queues;
    if (!queues) return undefined;
    const epoch = queues.epoch;
    return (topic, endOffset) => queues.noteEndOffset(topic, endOffset, epoch);
  }

  /**
   * A multi-input task: queues a fetched batch (its records not processed yet) for processBuffered. The
   * records' event times are extracted now, to order them.
   */
  enqueue(topic: string, messages: readonly BatchMessage[], highWatermark: string): void {
    const start = this.inputs.firstUnprocessed(topic, messages);
    const records = [];
    for (let i = start; i < messages.length; i++) records.push({ message: messages[i]!, timestampMs: this.graph.eventTimeOf(topic, messages[i]!) });
    this.queues!.add(topic, records, highWatermark);
  }

  /**
   * Processes buffered records in timestamp order for as long as the queues allow (RecordQueues.next);
   * resolves with how many it processed per topic. A call while another runs returns at once: that one
   * takes the new records too. Errors as process(). On the wall-clock `tick` (records that waited for an
   * empty partition), emptying the queues makes a commit due at once (commitDue).
   */
  async processBuffered(nowMs: number, trigger: CommitTrigger = "processing"): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    const queues = this.queues;
    if (!queues || this.draining || this.status !== "running") return counts;
    let done!: () => void;
    this.draining = new Promise((resolve) => (done = resolve));
    try {
      for (let run = queues.next(nowMs); run; run = this.status === "running" ? queues.next(nowMs) : undefined) {
        if (this.committing) await this.committing.done;
        const processed = await this.process(run.topic, run.messages);
        counts.set(run.topic, (counts.get(run.topic) ?? 0) + processed);
      }
    } finally {
      this.draining = undefined;
      done();
    }
    if (trigger === "tick" && counts.size > 0 && queues.size() === 0) this.commitRequested = true;
    return counts;
  }

  private processSync(topic: string, messages: readonly BatchMessage[]): number {
    const start = this.inputs.firstUnprocessed(topic, messages);
    let last: string | undefined;
    try {
      for (let i = start; i < messages.length; i++) {
        const message = messages[i]!;
        this.errors.run(topic, message, () => this.graph.process(topic, message));
        last = message.offset;
      }
    } finally {
      if (last !== undefined) this.inputs.processed(topic, last);
    }
    return messages.length - start;
  }

  private async processAsync(topic: string, messages: readonly BatchMessage[]): Promise<number> {
    const start = this.inputs.firstUnprocessed(topic, messages);
    for (let i = start; i < messages.length; i++) {
      const message = messages[i]!;
      while (this.graph.saturated()) await this.graph.progress();
      this.graph.throwDetachedFailure();
      this.errors.run(topic, message, () => this.graph.process(topic, message));
      this.inputs.processed(topic, message.offset);
    }
    return messages.length - start;
  }

  /** Takes the group's committed offsets (read after fencing) for inputs this task has not committed itself. */
  adoptCommittedInputs(committed: ReadonlyMap<string, string>): void {
    this.inputs.adoptCommitted(committed);
  }

  /** Inputs processed, outputs waiting, or state written (by a timer on the tick) since the last commit. */
  hasUncommitted(): boolean {
    return this.inputs.hasUncommitted() || this.outputs.length > 0 || this.state.status === "active";
  }

  /**
   * Every rule of when a task commits, for the caller's decision point. With uncommitted work, after
   * processing: a batch reached its partition's end with nothing buffered, or the tick emptied the buffered
   * records (both requested), or the interval has passed, or the pending outputs passed maxPendingOutputBytes.
   * On the wall-clock tick: the tick fired timers or punctuators and the interval has passed (the tick commits
   * only its own work; processing commits its own at its end).
   */
  commitDue(now: number, trigger: CommitTrigger = "processing"): boolean {
    if (!this.hasUncommitted()) return false;
    const intervalPassed = now - this.lastCommit >= this.commitIntervalMs;
    if (trigger === "tick") return this.punctuated && intervalPassed;
    return this.commitRequested || intervalPassed || this.outputs.overLimit();
  }

  /** The input offsets processed and not yet committed. */
  uncommittedOffsets(): TopicPartitionOffset[] {
    return this.inputs.uncommitted();
  }

  /**
   * Step 4, first half: waits for async work to settle, flushes the write cache as changelog records and
   * takes them with the outputs and the input offsets: what the caller writes and commits (one Kafka
   * transaction under exactly-once). Undefined when there is nothing to commit (or the task is not running).
   * Until postCommit() or rollback() the task is committing: processing waits. Throws a WeirError when
   * async work failed (the task is then not committing).
   */
  async prepareCommit(): Promise<PreparedCommit | undefined> {
    this.commitRequested = false;
    if (!this.hasUncommitted() || this.status !== "running") return undefined;
    let resolve!: () => void;
    const done = new Promise<void>((r) => (resolve = r));
    this.committing = { done, resolve };
    const startedMs = performance.now();
    try {
      // Only completed work is committed: async calls settle and their results go downstream first.
      if (this.graph.hasAsyncWork) await this.graph.settle();
      const changelog = this.state.flush();
      const records: ProducedRecord[] = this.outputs.take();
      const outputsPerTopic = new Map<string, number>();
      const inputTimestamps: number[] = [];
      for (const r of records) {
        outputsPerTopic.set(r.topic, (outputsPerTopic.get(r.topic) ?? 0) + 1);
        inputTimestamps.push(r.timestamp);
      }
      for (const c of changelog) records.push({ topic: c.topic, partition: c.partition, key: c.key, value: c.value, timestamp: Date.now(), headers: {} });
      return { records, offsets: this.inputs.takeUncommitted(), outputsPerTopic, inputTimestamps, startedMs };
    } catch (err) {
      this.endCommit();
      throw err;
    }
  }

  /**
   * Step 4, second half: Kafka committed `prepared`; `ends` gives, per changelog partition written, the
   * offset after its last record. SQLite commits with the new checkpoint. (A crash between the two is
   * repaired by step 2's replay.)
   */
  postCommit(prepared: PreparedCommit, ends: ReadonlyMap<string, string>): void {
    try {
      for (const key of this.changelogs.keys()) {
        const end = ends.get(key);
        if (end !== undefined) this.checkpoint.set(key, end);
      }
      this.inputs.committedAt(prepared.offsets);
      this.state.commit(this.checkpoint);
      this.punctuated = false;
      this.committedStreamTimeMs = this.graph.streamTimeMs;
      this.lastCommit = Date.now();
      for (const { kind, action, count } of this.errors.takeCounts()) this.metrics.errorRecords(kind, action, count);
      this.metrics.committed((performance.now() - prepared.startedMs) / 1000, prepared.outputsPerTopic, prepared.inputTimestamps, this.lastCommit);
    } finally {
      this.endCommit();
    }
  }

  /**
   * Step 5: Kafka refused the commit (`error`; fenced, or the transaction failed): everything since the
   * last commit is rolled back, and the caller drops the task.
   */
  commitFailed(error: unknown): void {
    try {
      this.metrics.commitFailed(isFencing(error));
      this.rollback();
    } finally {
      this.endCommit();
    }
  }

  private endCommit(): void {
    const committing = this.committing;
    this.committing = undefined;
    committing?.resolve();
  }

  /**
   * Forgets everything since the last commit: after a rebalance kafkajs fetches again from the
   * committed offsets, so uncommitted work would otherwise be applied twice.
   */
  rollback(): void {
    if (this.status === "closed") return;
    this.outputs.clear();
    this.inputs.rollback();
    this.commitRequested = false;
    // Fetching resumes from the committed offsets: what is buffered is fetched again.
    this.queues?.reset();
    this.errors.clearCounts();
    this.punctuated = false;
    this.state.rollback();
    this.graph.stateReset();
    this.checkpoint = this.state.checkpoint();
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
    this.state.close();
  }
}

/** A commit refused because another producer of the task's transactional id took over. */
function isFencing(err: unknown): boolean {
  const e = err as { type?: unknown; message?: unknown };
  return e.type === "INVALID_PRODUCER_EPOCH" || e.type === "PRODUCER_FENCED" || (typeof e.message === "string" && /fenc/i.test(e.message));
}
