// A task with state and a commit: the processing graph of one sub-topology on one partition, its SQLite
// file, its output (a transactional producer under exactly-once), the outputs and input offsets not yet
// committed, and the restore of its stores from their changelogs. The step numbers are DESIGN.md's
// "Exactly-once, step by step".
import { existsSync } from "node:fs";
import type { BatchMessage, ProducedRecord, TaskOutput, TopicPartitionOffset } from "../kafka/index.ts";
import { StateFile } from "../state/state-file.ts";
import { changelogPartitionKey, type Checkpoint, type KeyValueStore, type RestoreRecord } from "../state/types.ts";
import type { SubTopology } from "../topology/graph.ts";
import { Topology } from "../topology/topology.ts";
import type { WeirMetrics } from "../metrics/metrics.ts";
import type { Logger } from "./logger.ts";
import { Task } from "./task.ts";

export type TaskStatus = "restoring" | "running" | "closed";

/** One store's changelog partition being replayed into the task's file. */
interface StoreRestore {
  readonly store: string;
  readonly from: string;
  /** The changelog's end offset read after fencing: nothing can be written past it while we own the task. */
  readonly end: bigint;
  position: bigint;
  restored: number;
}

export interface StreamTaskOptions {
  readonly subTopology: SubTopology;
  readonly partition: number;
  readonly applicationId: string;
  readonly statePath: string;
  readonly cacheMaxBytes: number;
  readonly output: TaskOutput;
  readonly logger: Logger;
  readonly metrics: WeirMetrics;
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
  private readonly restores = new Map<string, StoreRestore>();
  private readonly stores = new Map<string, KeyValueStore<unknown, unknown>>();
  private statusValue: TaskStatus = "restoring";
  /** No usable local file (none, or a corrupt one): the stores are rebuilt from the changelogs' beginning. */
  private rebuilt = false;
  private lastCommit = Date.now();
  /** The commit in flight; processing waits for it, so a commit never sees half a batch. */
  private committing: Promise<void> | undefined;

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
      stores.set(
        def.name,
        state.keyValueStore({ name: def.name, keySerde: def.keySerde, valueSerde: def.valueSerde, changelogTopic: topic, changelogPartition: partition }),
      );
      this.changelogs.set(changelogPartitionKey(topic, partition), def.name);
    }
    this.graph = new Task(subTopology, partition, applicationId, { collect: (r) => this.collect(r) }, stores, (reason) =>
      this.metrics.droppedRecords(reason, 1),
    );
    this.id = this.graph.id;
  }

  /**
   * Step 1: opens the task's SQLite file (a missing or corrupt one starts empty) and fences any other
   * owner of the task through its output, so that the changelogs cannot grow behind our back.
   */
  static async open(options: StreamTaskOptions): Promise<StreamTask> {
    const existed = existsSync(options.statePath);
    const state = StateFile.open(options.statePath, { cacheMaxBytes: options.cacheMaxBytes });
    const task = new StreamTask(options, state);
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
    for (const key of this.changelogs.keys()) {
      const from = this.checkpoint.get(key);
      const end = ends.get(key) ?? "0";
      if (from !== undefined && BigInt(from) > BigInt(end)) return `${key} checkpoint ${from} is past the changelog's end ${end}`;
    }
    return undefined;
  }

  /**
   * Step 2: given each changelog partition's end offset (read after fencing), replays from the
   * checkpoint to the end. Returns the changelog partitions to fetch, each with its start offset;
   * none means the task runs at once.
   */
  beginRestore(ends: ReadonlyMap<string, string>): Map<string, string> {
    this.statusValue = "restoring";
    this.restores.clear();
    const toFetch = new Map<string, string>();
    for (const [key, store] of this.changelogs) {
      const from = this.checkpoint.get(key) ?? "0";
      const end = BigInt(ends.get(key) ?? "0");
      if (BigInt(from) >= end) continue;
      this.restores.set(key, { store, from, end, position: BigInt(from), restored: 0 });
      this.metrics.restoreRemainingRecords(this.id, store, Number(end - BigInt(from)));
      toFetch.set(key, from);
    }
    if (toFetch.size === 0) this.statusValue = "running";
    return toFetch;
  }

  /** Applies a fetched batch of a changelog partition in one SQLite transaction with its checkpoint. */
  restoreBatch(topic: string, messages: readonly BatchMessage[]): void {
    const key = changelogPartitionKey(topic, this.partition);
    const restore = this.restores.get(key);
    if (!restore || messages.length === 0) return;
    const records: RestoreRecord[] = [];
    for (const m of messages) if (m.key !== null) records.push({ key: m.key, value: m.value, offset: m.offset });
    const next = (BigInt(messages[messages.length - 1]!.offset) + 1n).toString();
    // The file first: the checkpoint kept in memory must never claim records the file does not hold.
    this.state.restore(restore.store, records, new Map([[key, next]]));
    this.checkpoint.set(key, next);
    restore.restored += records.length;
    restore.position = BigInt(next);
    this.metrics.restoredRecords(restore.store, records.length);
    this.metrics.restoreRemainingRecords(this.id, restore.store, Number(restore.end - restore.position));
  }

  /**
   * Notes that fetching the changelog partition got past `lastOffset` (markers included). Returns true
   * once every store is restored, and the task turns to running.
   */
  restoredUpTo(topic: string, lastOffset: string): boolean {
    const key = changelogPartitionKey(topic, this.partition);
    const restore = this.restores.get(key);
    if (restore) {
      const next = BigInt(lastOffset) + 1n;
      if (next > restore.position) restore.position = next;
      if (restore.position >= restore.end) {
        this.restores.delete(key);
        this.metrics.restoreRemainingRecords(this.id, restore.store, 0);
        this.logger.info(
          { task: this.id, store: restore.store, restored: restore.restored, fromOffset: restore.from, toOffset: restore.end.toString(), rebuilt: this.rebuilt },
          "restore done",
        );
      }
    }
    if (this.statusValue === "restoring" && this.restores.size === 0) this.statusValue = "running";
    return this.statusValue === "running";
  }

  /** Waits for a commit in flight, so that processing never interleaves with one. */
  async idle(): Promise<void> {
    while (this.committing) await this.committing;
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

  /** Entries of each store and the file's size, for the metrics. */
  storeSizes(): { task: string; store: string; entries: number; bytes: number }[] {
    if (this.statusValue === "closed") return [];
    const bytes = this.state.sizeBytes();
    return [...this.stores].map(([store, kv]) => ({ task: this.id, store, entries: kv.approximateNumEntries(), bytes }));
  }

  /**
   * Step 3: runs records through the sub-topology; state writes go to the open SQLite transaction.
   * Returns how many records it processed (records it had already processed are skipped).
   */
  process(topic: string, messages: readonly BatchMessage[]): number {
    // A task never processes an offset twice: kafkajs may hand over a batch fetched before a rebalance
    // or a seek (its isStale() knows only of seeks), after this task has moved past those records.
    const next = this.positions.get(topic) ?? this.committedInputs.get(topic);
    let start = 0;
    if (next !== undefined && messages.length > 0 && BigInt(messages[0]!.offset) < BigInt(next)) {
      const floor = BigInt(next);
      while (start < messages.length && BigInt(messages[start]!.offset) < floor) start++;
    }
    let last: string | undefined;
    for (let i = start; i < messages.length; i++) {
      const message = messages[i]!;
      this.graph.process(topic, message);
      last = message.offset;
    }
    if (last !== undefined) this.positions.set(topic, (BigInt(last) + 1n).toString());
    return messages.length - start;
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

  hasUncommitted(): boolean {
    return this.positions.size > 0 || this.outputs.length > 0;
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
      this.lastCommit = Date.now();
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
    this.state.rollback();
    this.checkpoint = this.state.checkpoint();
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
