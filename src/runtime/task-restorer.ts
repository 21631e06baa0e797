// Step 2 of DESIGN.md for the tasks of one assignment: reads each changelog partition's end and the
// group's committed input offsets after fencing, checks every state file against its changelog (a
// checkpoint past the changelog's end: the stable-end wait, then a wipe), and starts each task's replay by
// seeking and resuming its changelog partitions. A task with nothing to replay runs at once (run(): its
// changelogs paused, its inputs sought to where its state is and resumed).
import { rmSync } from "node:fs";
import type { BatchControl, PartitionBatch } from "../kafka/index.ts";
import { changelogPartitionKey, topicOfPartitionKey } from "../state/types.ts";
import type { TaskAdminPort, PartitionControl } from "./kafka-ports.ts";
import type { Logger } from "./logger.ts";
import { checkpointStillBeyond } from "./stable-ends.ts";
import type { StreamTask } from "./stream-task.ts";

/** A checkpoint past its changelog's end is read again this often, this many times, before the file is wiped. */
const stableEndWaitMs = 250;
const stableEndAttempts = 40;

export interface TaskRestorerOptions {
  readonly applicationId: string;
  readonly admin: Pick<TaskAdminPort, "endOffsets" | "earliestOffsets" | "committedOffsets">;
  readonly logger: Logger;
  readonly control: () => PartitionControl;
  /** False once a newer assignment overtook `generation`: its work stops at its next step. */
  readonly current: (generation: number) => boolean;
  /** The app stops with this error (a changelog batch that cannot be applied). */
  readonly fail: (error: Error) => void;
  /** Closes `task`, which has no usable file; it opens again empty (after the file was deleted). */
  readonly reopen: (task: StreamTask) => Promise<StreamTask>;
}

export class TaskRestorer {
  private readonly options: TaskRestorerOptions;

  constructor(options: TaskRestorerOptions) {
    this.options = options;
  }

  /**
   * Starts restoring `tasks` (already fenced: opened, or kept). The committed input offsets are read after
   * fencing too: fencing waits until the previous owner's last transaction is complete, so they match the
   * changelogs' ends. (kafkajs reads them itself at the group join, possibly before that, and its
   * OffsetFetch cannot ask for stable offsets as KIP-447 would.)
   */
  async restore(generation: number, tasks: readonly StreamTask[]): Promise<void> {
    const { admin, applicationId, logger } = this.options;
    const topics = new Set<string>();
    for (const task of tasks) for (const key of task.changelogs.keys()) topics.add(topicOfPartitionKey(key));
    const ends = await this.changelogEnds(topics);
    const inputs = [...new Set(tasks.flatMap((t) => t.subTopology.sourceTopics))];
    const committed = inputs.length === 0 ? new Map<string, string>() : await admin.committedOffsets(applicationId, inputs);
    // Nothing committed yet: the task starts at the log start, never at wherever kafkajs's fetching got to.
    for (const topic of inputs) {
      for (const [partition, low] of await admin.earliestOffsets(topic)) {
        const key = `${topic}:${partition}`;
        if ((committed.get(key) ?? "-1") === "-1") committed.set(key, low);
      }
    }
    if (!this.options.current(generation)) return;
    // Waits once for all tasks, so that several kept tasks do not each wait in turn.
    const verdict = await checkpointStillBeyond({
      beyond: () => tasks.map((t) => t.checkpointBeyond(ends)).find((reason) => reason !== undefined),
      reread: async () => {
        for (const [key, end] of await this.changelogEnds(topics)) ends.set(key, end);
      },
      cancelled: () => !this.options.current(generation),
      attempts: stableEndAttempts,
      waitMs: stableEndWaitMs,
    });
    if (verdict.cancelled) return;
    for (let task of tasks) {
      const beyond = task.checkpointBeyond(ends);
      if (beyond !== undefined) {
        // As Kafka Streams does with such a file: wipe it and rebuild the stores from the changelog.
        logger.warn({ task: task.id, problem: beyond }, "state file does not match its changelog: deleting it and restoring from the changelog");
        task = await this.options.reopen(task);
      }
      task.adoptCommittedInputs(committed);
      const toFetch = task.beginRestore(ends);
      if (toFetch.size === 0) {
        this.run(task);
        continue;
      }
      logger.info({ task: task.id, from: Object.fromEntries(toFetch) }, "restore started");
      const control = this.options.control();
      for (const [key, from] of toFetch) {
        const topic = topicOfPartitionKey(key);
        control.seek(topic, task.partition, from);
        control.resume(new Map([[topic, [task.partition]]]));
      }
    }
  }

  /** The task's stores are restored: stop fetching its changelogs, fetch its inputs from where its state is. */
  run(task: StreamTask): void {
    const control = this.options.control();
    const changelogs = new Map<string, number[]>();
    for (const key of task.changelogs.keys()) changelogs.set(topicOfPartitionKey(key), [task.partition]);
    control.pause(changelogs);
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

  /** A fetched batch of one of `task`'s changelog partitions: applied while the task restores (else it waits). */
  applyBatch(task: StreamTask, batch: PartitionBatch, control: Pick<BatchControl, "resolveOffset">): void {
    if (task.status !== "restoring" || batch.messages.length === 0) return;
    try {
      task.restoreBatch(batch.topic, batch.messages);
    } catch (err) {
      // Loudly: thrown into kafkajs, it would restart the consumer and hide why.
      this.options.fail(new Error(`task ${task.id} could not restore ${batch.topic}: ${(err as Error).message}`, { cause: err }));
      return;
    }
    control.resolveOffset(batch.messages[batch.messages.length - 1]!.offset);
  }

  /** Each changelog partition's end offset (the last stable offset: reads are read_committed). */
  private async changelogEnds(topics: ReadonlySet<string>): Promise<Map<string, string>> {
    const ends = new Map<string, string>();
    for (const topic of topics) {
      for (const [partition, end] of await this.options.admin.endOffsets(topic)) ends.set(changelogPartitionKey(topic, partition), end);
    }
    return ends;
  }
}

/** Deletes a task's SQLite file and its WAL files. */
export function deleteStateFile(statePath: string): void {
  for (const suffix of ["", "-wal", "-shm"]) rmSync(statePath + suffix, { force: true });
}
