// Every rule of when a task commits, in one place. A commit is due, for a task with uncommitted work:
//   after processing: a batch reached its partition's end with nothing buffered, or the wall-clock tick
//     emptied a multi-input task's buffered records (both request one), or commit.interval.ms has passed
//     since the last commit, or the pending outputs passed maxPendingOutputBytes (pending-outputs.ts);
//   on the wall-clock tick: the interval has passed, whatever made the work (timers, punctuators, or records
//     no later batch came to commit: a batch whose last record is followed by a transaction marker does not
//     reach its partition's end, and a partition whose next batch holds only markers hands over nothing),
//     as Kafka Streams commits every commit.interval.ms whether or not records keep coming.
// TaskManager asks StreamTask.commitDue at each decision point; a rebalance, a shutdown or a wait for the
// schema registry commits whatever is uncommitted.
import type { CommitTrigger } from "./stream-task-types.ts";

export class CommitSchedule {
  private readonly intervalMs: number;
  private lastCommitMs = Date.now();
  /** An event asked for a commit whatever the interval. */
  private requested = false;

  constructor(intervalMs: number) {
    this.intervalMs = intervalMs;
  }

  /** A batch reached its partition's end with nothing buffered, or the tick emptied the buffered records. */
  request(): void {
    this.requested = true;
  }

  /** A commit is being prepared: the request is answered. */
  preparing(): void {
    this.requested = false;
  }

  /** The commit succeeded at `nowMs`. */
  committed(nowMs: number): void {
    this.lastCommitMs = nowMs;
  }

  /** The work since the last commit was dropped. */
  rolledBack(): void {
    this.requested = false;
  }

  due(nowMs: number, trigger: CommitTrigger, work: { readonly uncommitted: boolean; readonly outputsOverLimit: boolean }): boolean {
    if (!work.uncommitted) return false;
    const intervalPassed = nowMs - this.lastCommitMs >= this.intervalMs;
    if (trigger === "tick") return intervalPassed;
    return this.requested || intervalPassed || work.outputsOverLimit;
  }
}
