// A task with state and a commit: the processing graph of one sub-topology on one partition, its SQLite
// file, its output (a transactional producer under exactly-once), the outputs and input offsets not yet
// committed, and its status through restore (task-restore.ts), processing (failed records: task-error-
// handling.ts) and commit. The step numbers are DESIGN.md's "Exactly-once, step by step".
import { existsSync } from "node:fs";
import type { BatchMessage, ProducedRecord, TaskOutput, TopicPartitionOffset } from "../kafka/index.ts";
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
import { Task } from "./task.ts";
import { checkOutputSize, failOnEveryError, TaskErrorHandling } from "./task-error-handling.ts";
import { TaskRestore } from "./task-restore.ts";
import { RecordQueues } from "./record-queues.ts";

export type TaskStatus = "restoring" | "running" | "closed";

export interface StreamTaskOptions {
  readonly subTopology: SubTopology;
  readonly partition: number;
  readonly applicationId: string;
  readonly statePath: string;
  readonly cacheMaxBytes: number;
  /** SQLite's page cache of the task's file, in bytes; default: the state file's. */
  readonly pageCacheBytes?: number;
  readonly output: TaskOutput;
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
  private readonly graph: Task;
  private readonly state: StateFile;
  private readonly output: TaskOutput;
  private readonly logger: Logger;
  private readonly metrics: WeirMetrics;
  /** Per input topic, the partition's end offset when its last batch was fetched. */
  private readonly highWatermarks = new Map<string, string>();
  private readonly outputs: ProducedRecord[] = [];
  /** Key and value bytes of `outputs`. */
  private outputBytes = 0;
  /** Per input topic, the offset after the last record processed and not yet committed. */
  private readonly positions = new Map<string, string>();
  /**
   * Per input topic, the committed offset the task's state reflects: read from the group after fencing,
   * then moved by each commit of ours. Fetching resumes here, never from kafkajs's own idea of it (see
   * TaskManager.run).
   */
  private readonly committedInputs = new Map<string, string>();
  private checkpoint: Checkpoint;
  private readonly restore: TaskRestore;
  private readonly stores = new Map<string, unknown>();
  /** The task's stream time as of its last commit, to go back to on rollback. */
  private committedStreamTimeMs: number;
  private statusValue: TaskStatus = "restoring";
  /** No usable local file (none, or a corrupt one): the stores are rebuilt from the changelogs' beginning. */
  private rebuilt = false;
  private lastCommit = Date.now();
  /** The commit in flight; processing waits for it, so a commit never sees half a batch. */
  private committing: Promise<void> | undefined;
  private readonly errors: TaskErrorHandling;
  private readonly warmUpsOfSerdes: SerdeWarmUps;
  private readonly maxMessageBytes: ReadonlyMap<string, number>;
  /** The batch being processed while it waits for async calls (mapValuesAsync); commits and ticks wait for it. */
  private processing: Promise<unknown> | undefined;
  /** Timers or punctuators fired on the wall-clock tick since the last commit. */
  private punctuated = false;
  /**
   * A task with several input partitions: fetched records wait here and are processed in timestamp order
   * (processBuffered). Undefined for a task with one input partition, whose batches are processed as they come.
   */
  readonly queues: RecordQueues | undefined;
  /** processBuffered() in flight; commits, ticks and batches wait for it. */
  private draining: Promise<void> | undefined;

  private constructor(options: StreamTaskOptions, state: StateFile) {
    const { subTopology, partition, applicationId } = options;
    this.subTopology = subTopology;
    this.partition = partition;
    this.statePath = options.statePath;
    this.output = options.output;
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
    this.maxMessageBytes = options.maxMessageBytes ?? new Map();
    this.queues = subTopology.sourceTopics.length > 1 ? new RecordQueues(subTopology.sourceTopics, options.maxTaskIdleMs ?? 0) : undefined;
    this.graph = new Task(
      subTopology,
      partition,
      applicationId,
      {
        // An output its topic would refuse is a production error now, at its record, not at the commit.
        collect: (r) => {
          checkOutputSize(r, this.maxMessageBytes.get(r.topic));
          this.collect(r);
        },
        productionFailed: (e) => this.errors.productionFailed(e),
      },
      visible,
      (reason) => this.metrics.droppedRecords(reason, 1),
      (store) => this.metrics.lateRecordsDropped(store, 1),
    );
    this.id = this.graph.id;
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
   * Step 1: opens the task's SQLite file (a missing or corrupt one starts empty) and fences any other
   * owner of the task through its output, so that the changelogs cannot grow behind our back.
   */
  static async open(options: StreamTaskOptions): Promise<StreamTask> {
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
    try {
      await options.output.init();
    } catch (err) {
      state.close();
      throw err;
    }
    return task;
  }

  get status(): TaskStatus {
    return this.statusValue;
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
    this.statusValue = "restoring";
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
    if (this.statusValue === "restoring" && done) this.running();
    return this.statusValue === "running";
  }

  /** Restored: stream time starts from what the restored window and session stores hold. */
  private running(): void {
    this.statusValue = "running";
    this.committedStreamTimeMs = Math.max(this.committedStreamTimeMs, storedStreamTimeMs(this.stores.values()));
    this.graph.streamTimeMs = this.committedStreamTimeMs;
  }

  /** Waits for a commit or a batch in flight, so that processing never interleaves with a commit. */
  async idle(): Promise<void> {
    while (this.committing || this.processing || this.draining) {
      if (this.committing) await this.committing;
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
    if (this.statusValue !== "running" || this.busy()) return false;
    const fired = this.graph.punctuateWallClock(nowMs) > 0;
    if (fired) this.punctuated = true;
    return fired;
  }

  /** Wall-clock work waits for a commit: due when the tick fired something and the commit interval has passed. */
  punctuationCommitDue(now: number, intervalMs: number): boolean {
    return this.punctuated && this.commitDue(now, intervalMs);
  }

  /** The topics topic choosers have picked so far (the task manager checks that they exist). */
  chosenTopics(): ReadonlySet<string> {
    return this.graph.chosenTopics;
  }

  /** Notes an input partition's end offset as of its latest fetch, for lag. */
  noteHighWatermark(topic: string, highWatermark: string): void {
    this.highWatermarks.set(topic, highWatermark);
  }

  snapshot(): TaskSnapshot {
    return {
      id: this.id,
      status: this.statusValue,
      partitions: this.subTopology.sourceTopics.map((topic) => {
        const hw = this.highWatermarks.get(topic) ?? null;
        const position = this.positions.get(topic) ?? this.committedInputs.get(topic) ?? null;
        return {
          topic,
          partition: this.partition,
          committedOffset: this.committedInputs.get(topic) ?? null,
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
    if (this.statusValue === "closed") return [];
    const bytes = this.state.sizeBytes();
    return [...this.stores].map(([store, s]) => ({ task: this.id, store, entries: (s as { approximateNumEntries(): number }).approximateNumEntries(), bytes }));
  }

  /** What the serdes must fetch (schemas) before the batch can be processed; empty when nothing. */
  warmUps(topic: string, messages: readonly BatchMessage[]): Promise<void>[] {
    return this.warmUpsOfSerdes.pending(topic, messages, this.firstUnprocessed(topic, messages));
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
   * A multi-input task: queues a fetched batch (its records not processed yet) for processBuffered. The
   * records' event times are extracted now, to order them.
   */
  enqueue(topic: string, messages: readonly BatchMessage[], highWatermark: string): void {
    const start = this.firstUnprocessed(topic, messages);
    const records = [];
    for (let i = start; i < messages.length; i++) records.push({ message: messages[i]!, timestampMs: this.graph.eventTimeOf(topic, messages[i]!) });
    this.queues!.add(topic, records, highWatermark);
  }

  /**
   * Processes buffered records in timestamp order for as long as the queues allow (RecordQueues.next);
   * resolves with how many it processed per topic. A call while another runs returns at once: that one
   * takes the new records too. Errors as process().
   */
  async processBuffered(nowMs: number): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    const queues = this.queues;
    if (!queues || this.draining || this.statusValue !== "running") return counts;
    let done!: () => void;
    this.draining = new Promise((resolve) => (done = resolve));
    try {
      for (let run = queues.next(nowMs); run; run = this.statusValue === "running" ? queues.next(nowMs) : undefined) {
        if (this.committing) await this.committing;
        const processed = await this.process(run.topic, run.messages);
        counts.set(run.topic, (counts.get(run.topic) ?? 0) + processed);
      }
    } finally {
      this.draining = undefined;
      done();
    }
    return counts;
  }

  private processSync(topic: string, messages: readonly BatchMessage[]): number {
    const start = this.firstUnprocessed(topic, messages);
    let last: string | undefined;
    try {
      for (let i = start; i < messages.length; i++) {
        const message = messages[i]!;
        this.errors.run(topic, message, () => this.graph.process(topic, message));
        last = message.offset;
      }
    } finally {
      if (last !== undefined) this.positions.set(topic, (BigInt(last) + 1n).toString());
    }
    return messages.length - start;
  }

  private async processAsync(topic: string, messages: readonly BatchMessage[]): Promise<number> {
    const start = this.firstUnprocessed(topic, messages);
    for (let i = start; i < messages.length; i++) {
      const message = messages[i]!;
      while (this.graph.saturated()) await this.graph.progress();
      this.graph.throwDetachedFailure();
      this.errors.run(topic, message, () => this.graph.process(topic, message));
      this.positions.set(topic, (BigInt(message.offset) + 1n).toString());
    }
    return messages.length - start;
  }

  /**
   * The index of the first message past what this task has processed. A task never processes an offset
   * twice: kafkajs may hand over a batch fetched before a rebalance or a seek (its isStale() knows only of
   * seeks), after this task has moved past those records.
   */
  private firstUnprocessed(topic: string, messages: readonly BatchMessage[]): number {
    const next = this.positions.get(topic) ?? this.committedInputs.get(topic);
    let start = 0;
    if (next !== undefined && messages.length > 0 && BigInt(messages[0]!.offset) < BigInt(next)) {
      const floor = BigInt(next);
      while (start < messages.length && BigInt(messages[start]!.offset) < floor) start++;
    }
    return start;
  }

  /** Takes the group's committed offsets (read after fencing) for inputs this task has not committed itself. */
  adoptCommittedInputs(committed: ReadonlyMap<string, string>): void {
    for (const topic of this.subTopology.sourceTopics) {
      const offset = committed.get(`${topic}:${this.partition}`);
      if (!this.committedInputs.has(topic) && offset !== undefined && offset !== "-1") this.committedInputs.set(topic, offset);
    }
  }

  /**
   * Where fetching of each input must resume: past what this task processed (committed or not), else
   * the committed offset, else the log start when nothing was committed.
   */
  resumeOffsets(): ReadonlyMap<string, string> {
    const offsets = new Map(this.committedInputs);
    for (const [topic, position] of this.positions) offsets.set(topic, position);
    return offsets;
  }

  /** Inputs processed, outputs waiting, or state written (by a timer on the tick) since the last commit. */
  hasUncommitted(): boolean {
    return this.positions.size > 0 || this.outputs.length > 0 || this.state.status === "active";
  }

  /** The interval has passed, or the outputs waiting for the commit passed `maxPendingOutputBytes`. */
  commitDue(now: number, intervalMs: number): boolean {
    return this.hasUncommitted() && (now - this.lastCommit >= intervalMs || this.outputBytes >= maxPendingOutputBytes);
  }

  private collect(record: ProducedRecord): void {
    this.outputs.push(record);
    this.outputBytes += (record.key?.length ?? 0) + (record.value?.length ?? 0);
  }

  /** The input offsets processed and not yet committed. */
  uncommittedOffsets(): TopicPartitionOffset[] {
    return [...this.positions].map(([topic, offset]) => ({ topic, partition: this.partition, offset }));
  }

  /**
   * Step 4: flushes the write cache as changelog records, writes them with the outputs and commits the
   * input offsets (one Kafka transaction under exactly-once), then commits SQLite with the new
   * checkpoint. A crash between the two is repaired by step 2's replay.
   * Step 5: if Kafka's commit fails, SQLite rolls back and the error tells the caller to drop the task.
   */
  async commit(): Promise<void> {
    if (!this.hasUncommitted() || this.statusValue !== "running") return;
    let done!: () => void;
    this.committing = new Promise((resolve) => (done = resolve));
    const started = performance.now();
    try {
      // Only completed work is committed: async calls settle and their results go downstream first.
      if (this.graph.hasAsyncWork) await this.graph.settle();
      const changelog = this.state.flush();
      const records: ProducedRecord[] = this.outputs.splice(0);
      this.outputBytes = 0;
      const outputsPerTopic = new Map<string, number>();
      const inputTimestamps: number[] = [];
      for (const r of records) {
        outputsPerTopic.set(r.topic, (outputsPerTopic.get(r.topic) ?? 0) + 1);
        inputTimestamps.push(r.timestamp);
      }
      for (const c of changelog) records.push({ topic: c.topic, partition: c.partition, key: c.key, value: c.value, timestamp: Date.now(), headers: {} });
      const offsets = this.uncommittedOffsets();
      this.positions.clear();
      const inputs = new Map(offsets.map((o) => [o.topic, o.offset]));
      let ends: Map<string, string>;
      try {
        ends = await this.output.commit(records, offsets);
      } catch (err) {
        this.state.rollback();
        this.metrics.commitFailed(isFencing(err));
        throw err;
      }
      for (const key of this.changelogs.keys()) {
        const end = ends.get(key);
        if (end !== undefined) this.checkpoint.set(key, end);
      }
      for (const [topic, offset] of inputs) this.committedInputs.set(topic, offset);
      this.state.commit(this.checkpoint);
      this.punctuated = false;
      this.committedStreamTimeMs = this.graph.streamTimeMs;
      this.lastCommit = Date.now();
      for (const { kind, action, count } of this.errors.takeCounts()) this.metrics.errorRecords(kind, action, count);
      this.metrics.committed((performance.now() - started) / 1000, outputsPerTopic, inputTimestamps, this.lastCommit);
    } finally {
      this.committing = undefined;
      done();
    }
  }

  /**
   * Forgets everything since the last commit: after a rebalance kafkajs fetches again from the
   * committed offsets, so uncommitted work would otherwise be applied twice.
   */
  rollback(): void {
    if (this.statusValue === "closed") return;
    this.outputs.length = 0;
    this.outputBytes = 0;
    this.positions.clear();
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

  /** Rolls back what was not committed and closes the file and the output. */
  async close(): Promise<void> {
    if (this.statusValue === "closed") return;
    await this.idle();
    this.rollback();
    this.statusValue = "closed";
    this.graph.close();
    this.state.close();
    await this.output.close().catch((err: unknown) => this.logger.warn({ task: this.id, err }, "task output did not close cleanly"));
  }
}

/**
 * A task commits once its outputs waiting for the commit pass this size, whatever its interval: outputs
 * are sent only at a commit, so at-least-once's 30 s interval would otherwise hold a whole run's outputs in
 * memory and send nothing while processing. Measured on W1 at-least-once (bench/README.md): +15% records/s,
 * −10% CPU, peak RSS 860 → 570 MB.
 */
const maxPendingOutputBytes = 1024 * 1024;

/** A commit refused because another producer of the task's transactional id took over. */
function isFencing(err: unknown): boolean {
  const e = err as { type?: unknown; message?: unknown };
  return e.type === "INVALID_PRODUCER_EPOCH" || e.type === "PRODUCER_FENCED" || (typeof e.message === "string" && /fenc/i.test(e.message));
}
