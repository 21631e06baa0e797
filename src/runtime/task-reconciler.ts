// How a rebalance's new assignment reaches this instance's tasks, in the assignment chain TaskManager keeps
// (docs/architecture.md, "The processing loop", step 3): stop-the-world on a client that revokes every
// partition at each rebalance (kafkajs), incremental on one that keeps fetching kept partitions.
import type { TaskRef } from "./group-planner.ts";
import type { Logger } from "./logger.ts";
import type { StreamTask } from "./stream-task.ts";
import type { TaskCreator } from "./task-creator.ts";
import type { TaskRestorer } from "./task-restorer.ts";

export interface TaskReconcilerOptions {
  /** TaskManager's tasks, by id: the reconciler adds and removes tasks in it. */
  readonly tasks: Map<string, StreamTask>;
  readonly creator: TaskCreator;
  readonly restorer: TaskRestorer;
  readonly logger: Logger;
  /** False once a newer assignment overtook `generation`. */
  readonly current: (generation: number) => boolean;
  /** Commits the task; the error when the commit failed (and its state was rolled back). */
  readonly commitOnce: (task: StreamTask) => Promise<Error | undefined>;
  /** True while a failed commit's recovery of `task` is queued. */
  readonly recovering: (task: StreamTask) => boolean;
}

export class TaskReconciler {
  private readonly options: TaskReconcilerOptions;

  constructor(options: TaskReconcilerOptions) {
    this.options = options;
  }

  /** Stop-the-world (kafkajs): every task commits; kept ones are restored again and sought to their commit. */
  async reconcileAll(generation: number, wanted: ReadonlyMap<string, TaskRef>, lost = false): Promise<void> {
    for (const [id, task] of this.options.tasks) {
      // Commit what was processed, kept task or revoked. Safe even when the task has moved: if its new
      // owner has fenced us, the commit fails and rolls back; if not yet, its fencing waits for our
      // transaction and its restore reads it. run() then resumes from the offsets just committed. A member
      // lost from the group meanwhile commits nothing: its work may have been done on stale state.
      await task.idle();
      const committed = !lost && (await this.options.commitOnce(task)) === undefined;
      if (wanted.has(id) && committed) continue;
      this.options.tasks.delete(id);
      await this.options.creator.close(task);
      this.options.logger.info({ task: id }, wanted.has(id) ? `task closed: ${lost ? "this member was lost from the group" : "its commit failed"}, reopening it` : "task closed: revoked");
    }
    for (const [id, ref] of wanted) {
      if (!this.options.current(generation)) return;
      if (!this.options.tasks.has(id)) this.options.tasks.set(id, await this.options.creator.open(ref));
    }
    if (!this.options.current(generation)) return;
    // Kept tasks were not fenced again: their changelogs' ends may trail their own last commit a moment.
    await this.options.restorer.restore(generation, [...wanted.keys()].map((id) => this.options.tasks.get(id)!), { fencedSinceCommit: false });
  }

  /**
   * Incremental (the client kept fetching kept partitions): kept tasks are not touched, their batches and
   * commits go on as scheduled. Revoked tasks commit and close; new ones open (fenced), restore and run.
   * Handing a task over in one phase is safe because its new owner's fencing (its transactional id) aborts
   * whatever this instance still had open for it (docs/architecture.md, "Exactly-once, per client").
   */
  async reconcileIncrementally(generation: number, wanted: ReadonlyMap<string, TaskRef>, kept: ReadonlySet<string>, lost = false): Promise<void> {
    // A newer assignment came: its reconcile, next in the chain, plans against it (its kept set excludes
    // whatever this one revoked), so nothing here needs doing.
    if (!this.options.current(generation)) return;
    const restoring: StreamTask[] = [];
    for (const [id, task] of [...this.options.tasks]) {
      if (kept.has(id)) {
        // Kept but not running: restoring (its read was cancelled by this rebalance), or a failed commit's
        // recovery queued behind this reconcile, which reopens it.
        if (task.status === "restoring" && !this.options.recovering(task)) restoring.push(task);
        continue;
      }
      // Revoked, or revoked and given back since the last reconcile (its partitions were dropped in between,
      // so it opens again, fenced). Committed first: the new owner's fencing waits for our transaction. Not when
      // this member was lost from the group meanwhile: its work was done on state that may be stale.
      await task.idle();
      if (!lost) await this.options.commitOnce(task);
      if (this.options.tasks.get(id) === task) this.options.tasks.delete(id);
      await this.options.creator.close(task);
      const reason = lost ? "task closed: this member was lost from the group" : wanted.has(id) ? "task closed: revoked and assigned again" : "task closed: revoked";
      this.options.logger.info({ task: id }, wanted.has(id) ? `${reason}, reopening it` : reason);
      if (!this.options.current(generation)) return;
    }
    for (const [id, ref] of wanted) {
      if (!this.options.current(generation)) return;
      if (this.options.tasks.has(id)) continue;
      // A kept task a failed commit's recovery closed meanwhile opens here like a new one.
      const task = await this.options.creator.open(ref);
      this.options.tasks.set(id, task);
      restoring.push(task);
    }
    if (!this.options.current(generation) || restoring.length === 0) return;
    // Every task here was fenced when opened and has not committed since: the ends read now are stable.
    await this.options.restorer.restore(generation, restoring, { fencedSinceCommit: true });
  }
}
