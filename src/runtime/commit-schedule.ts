// Every rule of when a task commits, in one place. A commit is due, for a task with uncommitted work:
//   after processing: a batch reached its partition's end with nothing buffered, or the wall-clock tick
//     emptied a multi-input task's buffered records (both request one), or commit.interval.ms has passed
//     since the last commit, or the pending outputs passed maxPendingOutputBytes (pending-outputs.ts);
//   on the wall-clock tick: the tick fired timers or punctuators and the interval has passed (the tick
//     commits only its own work; processing commits its own at its end).
// TaskManager asks StreamTask.commitDue at each decision point; a rebalance, a shutdown or a wait for the
// schema registry commits whatever is uncommitted.
import type { CommitTrigger } from "./stream-task-types.ts";

export class CommitSchedule {
  private readonly intervalMs: number;
  private lastCommitMs = Date.now();
  /** An event asked for a commit whatever the interval. */
  private requested = false;
  /** Timers or punctuators fired on the wall-clock tick since the last commit. */
  private punctuatedSinceCommit = false;

  constructor(intervalMs: number) {
    this.intervalMs = intervalMs;
  }

  /** A batch reached its partition's end with nothing buffered, or the tick emptied the buffered records. */
  request(): void {
    this.requested = true;
  }

  punctuated(): void {
    this.punctuatedSinceCommit = true;
  }

  /** A commit is being prepared: the request is answered. */
  preparing(): void {
    this.requested = false;
  }

  /** The commit succeeded at `nowMs`. */
  committed(nowMs: number): void {
    this.lastCommitMs = nowMs;
    this.punctuatedSinceCommit = false;
  }

  /** The work since the last commit was dropped. */
  rolledBack(): void {
    this.requested = false;
    this.punctuatedSinceCommit = false;
  }

  due(nowMs: number, trigger: CommitTrigger, work: { readonly uncommitted: boolean; readonly outputsOverLimit: boolean }): boolean {
    if (!work.uncommitted) return false;
    const intervalPassed = nowMs - this.lastCommitMs >= this.intervalMs;
    if (trigger === "tick") return this.punctuatedSinceCommit && intervalPassed;
    return this.requested || intervalPassed || work.outputsOverLimit;
  }
}
