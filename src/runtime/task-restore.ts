// Step 2 of DESIGN.md for one task: each store's changelog partition is replayed into the task's SQLite file
// from the file's checkpoint to the changelog's end read after fencing, one SQLite transaction (with its
// checkpoint) per fetched batch. StreamTask owns the task's status; this owns the replay's progress.
import type { WeirMetrics } from "../metrics/metrics.ts";
import type { ChangelogBatch } from "../state/changelog-batch.ts";
import type { StateFile } from "../state/state-file.ts";
import { changelogPartitionKey, type Checkpoint } from "../state/types.ts";
import type { Logger } from "./logger.ts";

/** One store's changelog partition being replayed into the task's file. */
interface StoreRestore {
  readonly store: string;
  readonly from: string;
  /** The changelog's end offset read after fencing: nothing can be written past it while we own the task. */
  readonly end: bigint;
  position: bigint;
  restored: number;
}

export interface TaskRestoreOptions {
  readonly task: string;
  readonly partition: number;
  /** `topic:partition` of each store's changelog partition → its store name. */
  readonly changelogs: ReadonlyMap<string, string>;
  readonly state: StateFile;
  readonly metrics: WeirMetrics;
  readonly logger: Logger;
}

export class TaskRestore {
  private readonly options: TaskRestoreOptions;
  private readonly restores = new Map<string, StoreRestore>();

  constructor(options: TaskRestoreOptions) {
    this.options = options;
  }

  /**
   * The file claims changelog offsets the changelog does not have (it was deleted and created again, or
   * the application was reset while the file stayed): its state belongs to another history.
   */
  checkpointBeyond(checkpoint: Checkpoint, ends: ReadonlyMap<string, string>): string | undefined {
    for (const key of this.options.changelogs.keys()) {
      const from = checkpoint.get(key);
      const end = ends.get(key) ?? "0";
      if (from !== undefined && BigInt(from) > BigInt(end)) return `${key} checkpoint ${from} is past the changelog's end ${end}`;
    }
    return undefined;
  }

  /** Given each changelog partition's end offset, the changelog partitions to fetch, each with its start offset. */
  begin(checkpoint: Checkpoint, ends: ReadonlyMap<string, string>): Map<string, string> {
    this.restores.clear();
    const toFetch = new Map<string, string>();
    for (const [key, store] of this.options.changelogs) {
      const from = checkpoint.get(key) ?? "0";
      const end = BigInt(ends.get(key) ?? "0");
      if (BigInt(from) >= end) continue;
      this.restores.set(key, { store, from, end, position: BigInt(from), restored: 0 });
      this.options.metrics.restoreRemainingRecords(this.options.task, store, Number(end - BigInt(from)));
      toFetch.set(key, from);
    }
    return toFetch;
  }

  /**
   * Applies the records of a changelog partition read up to `next` (the offset after the last of them) in one
   * SQLite transaction with its checkpoint, and moves `checkpoint` (the task's in-memory copy) with it.
   * Returns false when there was nothing to apply.
   */
  apply(checkpoint: Checkpoint, topic: string, batch: ChangelogBatch, next: bigint): boolean {
    const { task, partition, state, metrics } = this.options;
    const key = changelogPartitionKey(topic, partition);
    const restore = this.restores.get(key);
    if (!restore) return false;
    const offset = next.toString();
    // The file first: the checkpoint kept in memory must never claim records the file does not hold.
    state.restore(restore.store, batch, new Map([[key, offset]]));
    checkpoint.set(key, offset);
    restore.restored += batch.length;
    restore.position = next;
    metrics.restoredRecords(restore.store, batch.length);
    metrics.restoreRemainingRecords(task, restore.store, Number(restore.end - restore.position));
    return true;
  }

  /**
   * Notes that fetching the changelog partition got past `lastOffset` (markers included). Returns true once
   * every store is restored. `rebuilt` (no usable file: replayed from the beginning) goes to the log line.
   */
  upTo(topic: string, lastOffset: string, rebuilt: boolean): boolean {
    const { task, partition, metrics, logger } = this.options;
    const key = changelogPartitionKey(topic, partition);
    const restore = this.restores.get(key);
    if (restore) {
      const next = BigInt(lastOffset) + 1n;
      if (next > restore.position) restore.position = next;
      if (restore.position >= restore.end) {
        this.restores.delete(key);
        metrics.restoreRemainingRecords(task, restore.store, 0);
        logger.info({ task, store: restore.store, restored: restore.restored, fromOffset: restore.from, toOffset: restore.end.toString(), rebuilt }, "restore done");
      }
    }
    return this.restores.size === 0;
  }
}
