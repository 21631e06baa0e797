// Step 2 of DESIGN.md for the tasks of one assignment: reads each changelog partition's end and the
// group's committed input offsets after fencing, checks every state file against its changelog (a
// checkpoint past the changelog's end: the stable-end wait, then a wipe), and replays each task's
// changelog partitions up to those ends through the client's partition reader, not the group consumer,
// which keeps the task's membership meanwhile (docs/architecture.md, "Restore"). A restored task, or one
// with nothing to replay, runs (run(): its inputs sought to where its state is and resumed).
import { rmSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import type { ChangelogRecords, PartitionRange } from "../kafka/index.ts";
import { changelogPartitionKey, topicOfPartitionKey } from "../state/types.ts";
import { WeirError } from "./errors.ts";
import type { ChangelogReaderPort, TaskAdminPort, PartitionControl } from "./kafka-ports.ts";
import type { Logger } from "./logger.ts";
import { PendingChangelog } from "./pending-changelog.ts";
import { checkpointStillBeyond } from "./stable-ends.ts";
import type { StreamTask } from "./stream-task.ts";

/** A checkpoint past its changelog's end is read again this often, this many times, before the file is wiped. */
const stableEndWaitMs = 250;
const stableEndAttempts = 40;

/** A failing changelog read is retried this often, for this long, before the app stops. */
const readRetryMs = 1_000;
const maxReadFailingMs = 120_000;

/** The records of one changelog partition read but not yet applied. */
interface PendingRestore {
  readonly task: StreamTask;
  readonly topic: string;
  /** The changelog's end read after fencing: the partition is restored once read up to it. */
  readonly to: bigint;
  /** The offset after the last record read. */
  next: bigint;
  readonly records: PendingChangelog;
}

/** One read of the changelog partitions of the tasks one restore() started. */
interface RestoreSession {
  readonly abort: AbortController;
  readonly done: Promise<void>;
}

export interface TaskRestorerOptions {
  readonly applicationId: string;
  readonly admin: Pick<TaskAdminPort, "endOffsets" | "highWatermarks" | "earliestOffsets" | "committedOffsets">;
  readonly logger: Logger;
  readonly control: () => PartitionControl;
  /** Reads changelog partitions without the group. */
  readonly reader: ChangelogReaderPort;
  /** True while `task` is the one the manager holds under its id (not closed or replaced). */
  readonly owns: (task: StreamTask) => boolean;
  /** False once a newer assignment overtook `generation`: its work stops at its next step. */
  readonly current: (generation: number) => boolean;
  /** A test hook (restore-hold.ts): awaited before a restoring task's changelogs are fetched. */
  readonly hold?: ((task: string) => Promise<void>) | undefined;
  /** The app stops with this error (a changelog batch that cannot be applied). */
  readonly fail: (error: Error) => void;
  /** Closes `task`, which has no usable file; it opens again empty (after the file was deleted). */
  readonly reopen: (task: StreamTask) => Promise<StreamTask>;
}

export class TaskRestorer {
  private readonly options: TaskRestorerOptions;
  private readonly sessions = new Set<RestoreSession>();

  constructor(options: TaskRestorerOptions) {
    this.options = options;
  }

  /**
   * Starts restoring `tasks` (already fenced: opened, or kept). The committed input offsets are read after
   * fencing too: fencing waits until the previous owner's last transaction is complete, so they match the
   * changelogs' ends. (kafkajs reads them itself at the group join, possibly before that, and its
   * OffsetFetch cannot ask for stable offsets as KIP-447 would.) `fencedSinceCommit`: every task was
   * fenced after its last commit, so the ends read now are past that commit's markers and a checkpoint
   * beyond them is wrong at once; otherwise (kafkajs's kept tasks) the stable-end wait (stable-ends.ts).
   */
  async restore(generation: number, tasks: readonly StreamTask[], { fencedSinceCommit }: { fencedSinceCommit: boolean }): Promise<void> {
    const { admin, applicationId, logger } = this.options;
    const topics = new Set<string>();
    for (const task of tasks) for (const key of task.changelogs.keys()) topics.add(topicOfPartitionKey(key));
    // Committed offsets first (stable on a v2 client: they wait for a previous owner's open transaction),
    // then the changelogs' ends, which cover every record that transaction wrote before its offsets.
    const inputs = [...new Set(tasks.flatMap((t) => t.subTopology.sourceTopics))];
    const committed = inputs.length === 0 ? new Map<string, string>() : await admin.committedOffsets(applicationId, inputs);
    const ends = await this.changelogEnds(topics);
    // Nothing committed yet: the task starts at the log start, never at wherever kafkajs's fetching got to.
    // (The log starts are read only for the topics of tasks with such a partition: one round trip saved per
    // restore otherwise.)
    const uncommitted = (topic: string) => tasks.some((t) => t.subTopology.sourceTopics.includes(topic) && (committed.get(`${topic}:${t.partition}`) ?? "-1") === "-1");
    for (const topic of inputs.filter(uncommitted)) {
      for (const [partition, low] of await admin.earliestOffsets(topic)) {
        const key = `${topic}:${partition}`;
        if ((committed.get(key) ?? "-1") === "-1") committed.set(key, low);
      }
    }
    if (!this.options.current(generation)) return;
    // Waits once for all tasks, so that several kept tasks do not each wait in turn; never for fenced ones. Not
    // with high watermarks (v2): a checkpoint past one is past every record written, so there is nothing to wait for.
    const verdict = admin.highWatermarks ? {} : await checkpointStillBeyond({
      beyond: () => tasks.map((t) => t.checkpointBeyond(ends)).find((reason) => reason !== undefined),
      reread: async () => {
        for (const [key, end] of await this.changelogEnds(topics)) ends.set(key, end);
      },
      cancelled: () => !this.options.current(generation),
      attempts: fencedSinceCommit ? 0 : stableEndAttempts,
      waitMs: stableEndWaitMs,
    });
    if (verdict.cancelled) return;
    const restoring: StreamTask[] = [];
    const ranges: PartitionRange[] = [];
    for (let task of tasks) {
      // Closed meanwhile (a failed commit's recovery replaced it): its replacement restores itself.
      if (task.status === "closed") continue;
      const beyond = task.checkpointBeyond(ends);
      if (beyond !== undefined) {
        // As Kafka Streams does with such a file: wipe it and rebuild the stores from the changelog.
        logger.warn({ task: task.id, problem: beyond }, "state file does not match its changelog: deleting it and restoring from the changelog");
        task = await this.options.reopen(task);
      }
      // The test hook holds every task restored, even one with nothing to replay (restore-hold.ts).
      if (this.options.hold) {
        await this.options.hold(task.id);
        if (!this.options.current(generation)) return;
        if (task.status === "closed" || !this.options.owns(task)) continue;
      }
      task.adoptCommittedInputs(committed);
      const toFetch = task.beginRestore(ends);
      if (toFetch.size === 0) {
        this.run(task);
        continue;
      }
      logger.info({ task: task.id, from: Object.fromEntries(toFetch) }, "restore started");
      restoring.push(task);
      for (const [key, from] of toFetch) ranges.push({ topic: topicOfPartitionKey(key), partition: task.partition, from, to: ends.get(key)! });
    }
    if (ranges.length > 0) this.read(generation, restoring, ranges);
  }

  /**
   * Reads `ranges` (the changelog partitions of `tasks`, each up to its end read after fencing) and applies
   * them in batches that span fetches. Records are applied only while their task restores in `generation`
   * and the manager still holds it; a newer assignment aborts the read (cancel()).
   */
  private read(generation: number, tasks: readonly StreamTask[], ranges: readonly PartitionRange[]): void {
    const pending = new Map<string, PendingRestore>();
    for (const range of ranges) {
      const task = tasks.find((t) => t.partition === range.partition && t.changelogs.has(changelogPartitionKey(range.topic, range.partition)))!;
      pending.set(changelogPartitionKey(range.topic, range.partition), { task, topic: range.topic, to: BigInt(range.to), next: BigInt(range.from), records: new PendingChangelog() });
    }
    const abort = new AbortController();
    const wanted = (task: StreamTask): boolean => {
      if (!this.options.current(generation)) abort.abort();
      return !abort.signal.aborted && task.status === "restoring" && this.options.owns(task);
    };
    const onRecords = (records: ChangelogRecords): void => {
      const restore = pending.get(changelogPartitionKey(records.topic, records.partition));
      if (!restore || !wanted(restore.task)) return;
      const full = restore.records.add(records);
      if (restore.records.next !== undefined) restore.next = restore.records.next;
      if (full) this.apply(restore, abort);
    };
    const onEnd = (topic: string, partition: number): void => {
      const key = changelogPartitionKey(topic, partition);
      const restore = pending.get(key);
      pending.delete(key);
      if (!restore || !wanted(restore.task) || !this.apply(restore, abort)) return;
      if (restore.task.restoredUpTo(topic, (restore.to - 1n).toString())) this.run(restore.task);
    };
    const session: RestoreSession = {
      abort,
      done: this.readRetrying(tasks, pending, { onRecords, onEnd }, wanted, abort).finally(() => this.sessions.delete(session)),
    };
    this.sessions.add(session);
  }

  /**
   * Reads the pending changelog partitions until they are all read or the read is aborted. A read that
   * fails (a broker restart) is retried, after applying what was read, from where the records read so far
   * end, for up to two minutes of failures; then the app stops (WEIR_CONSUMER_LOST).
   */
  private async readRetrying(
    tasks: readonly StreamTask[],
    pending: Map<string, PendingRestore>,
    handlers: { onRecords: (records: ChangelogRecords) => void; onEnd: (topic: string, partition: number) => void },
    wanted: (task: StreamTask) => boolean,
    abort: AbortController,
  ): Promise<void> {
    let failingSince: number | undefined;
    for (;;) {
      const ranges: PartitionRange[] = [];
      for (const r of pending.values()) if (wanted(r.task)) ranges.push({ topic: r.topic, partition: r.task.partition, from: r.next.toString(), to: r.to.toString() });
      if (ranges.length === 0) return;
      try {
        await this.options.reader.read(ranges, handlers.onRecords, handlers.onEnd, abort.signal);
        return;
      } catch (err) {
        if (abort.signal.aborted) return;
        const ids = tasks.map((t) => t.id).join(", ");
        failingSince ??= Date.now();
        if (Date.now() - failingSince > maxReadFailingMs) {
          this.options.fail(new WeirError("WEIR_CONSUMER_LOST", `the Kafka client gave up reading the changelogs of tasks ${ids}: ${(err as Error).message}`, { cause: err }));
          return;
        }
        this.options.logger.warn({ tasks: ids, err }, "reading changelogs failed; retrying");
        for (const [key, r] of pending) {
          if (!wanted(r.task)) continue;
          if (!this.apply(r, abort)) return;
          if (r.next < r.to) continue;
          // Every record was read; only the end (transaction markers) was not seen.
          pending.delete(key);
          if (r.task.restoredUpTo(r.topic, (r.to - 1n).toString())) this.run(r.task);
        }
        await sleep(readRetryMs, undefined, { signal: abort.signal }).catch(() => undefined);
      }
    }
  }

  /** Applies a changelog partition's records read so far in one SQLite transaction; false when that failed. */
  private apply(restore: PendingRestore, abort: AbortController): boolean {
    const { task, topic, records } = restore;
    try {
      records.applyWith((batch, next) => task.restoreBatch(topic, batch, next));
      return true;
    } catch (err) {
      abort.abort();
      this.options.fail(new Error(`task ${task.id} could not restore ${topic}: ${(err as Error).message}`, { cause: err }));
      return false;
    }
  }

  /** A newer assignment: every read under way stops (its tasks are restored again if they are kept). */
  cancel(): void {
    for (const session of this.sessions) session.abort.abort();
  }

  /** Stops every read under way and waits until their connections are closed. */
  async stop(): Promise<void> {
    const sessions = [...this.sessions];
    for (const session of sessions) session.abort.abort();
    await Promise.all(sessions.map((s) => s.done));
  }

  /** The task's stores are restored: fetch its inputs from where its state is. */
  run(task: StreamTask): void {
    const control = this.options.control();
    // Never kafkajs's own position: it may predate our last commit (see restore()), and records before
    // the offset the state reflects would be counted twice.
    const offsets = task.startFetching();
    for (const [topic, offset] of offsets) control.seek(topic, task.partition, offset);
    control.resume(new Map(task.subTopology.sourceTopics.map((t) => [t, [task.partition]])));
    this.options.logger.info({ task: task.id }, "task running");
    this.readEndOffsets(task, offsets);
  }

  /**
   * A multi-input task waits for an empty partition until it is known to be caught up (RecordQueues); a
   * partition with nothing to fetch never yields a batch, so its end offset is read once here.
   */
  private readEndOffsets(task: StreamTask, from: ReadonlyMap<string, string>): void {
    const noteEnd = task.inputEndsListener();
    if (!noteEnd) return;
    for (const topic of task.subTopology.sourceTopics) {
      this.options.admin
        .endOffsets(topic)
        .then((ends) => {
          const end = ends.get(task.partition);
          if (end !== undefined) noteEnd(topic, end);
        })
        .catch((err: unknown) => {
          // Not waiting for it then: its records may come out of timestamp order, never lost.
          this.options.logger.warn({ task: task.id, topic, err }, "could not read the end offset of an input partition: its records are not waited for");
          const start = from.get(topic);
          if (start !== undefined) noteEnd(topic, start);
        });
    }
  }

  /** Each changelog partition's end offset (the last stable offset: reads are read_committed). */
  private async changelogEnds(topics: ReadonlySet<string>): Promise<Map<string, string>> {
    const ends = new Map<string, string>();
    for (const topic of topics) {
      const admin = this.options.admin;
      const read = admin.highWatermarks ? await admin.highWatermarks(topic) : await admin.endOffsets(topic);
      for (const [partition, end] of read) ends.set(changelogPartitionKey(topic, partition), end);
    }
    return ends;
  }
}

/** Deletes a task's SQLite file and its WAL files. */
export function deleteStateFile(statePath: string): void {
  for (const suffix of ["", "-wal", "-shm"]) rmSync(statePath + suffix, { force: true });
}
