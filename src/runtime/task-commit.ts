// One task's commit, in the order DESIGN.md's step 4 gives: the task prepares what the commit writes
// (prepareCommit), the output writes it and commits the input offsets (one Kafka transaction under
// exactly-once), then the task commits its SQLite file with the new checkpoint (postCommit). If Kafka
// refuses, the task rolls back (commitFailed, step 5) and the error goes to the caller, which drops the
// task. TaskManager is the only caller in the runtime; tests of StreamTask commit through it too.
import type { TaskOutputPort } from "./kafka-ports.ts";
import type { StreamTask } from "./stream-task.ts";

/**
 * Commits `task` through `output`. Resolves with the input offsets committed, keyed `topic:partition`
 * (empty when there was nothing to commit). Rejects when the commit failed (the task has rolled back), or
 * with a WeirError when the task's async work failed before the commit.
 */
export async function commitTask(task: StreamTask, output: Pick<TaskOutputPort, "commit">): Promise<ReadonlyMap<string, string>> {
  const prepared = await task.prepareCommit();
  if (prepared === undefined) return new Map();
  let ends: Map<string, string>;
  try {
    ends = await output.commit(prepared.records, prepared.offsets);
  } catch (err) {
    task.commitFailed(err);
    throw err;
  }
  task.postCommit(prepared, ends);
  return new Map(prepared.offsets.map((o) => [`${o.topic}:${o.partition}`, o.offset]));
}

/** A task's commit from its preparation to its outcome: what its processing, and the wall-clock tick, wait for. */
export class CommitInFlight {
  private resolve: (() => void) | undefined;
  /** Settles when the commit in flight ends; undefined when none is. */
  done: Promise<void> | undefined;

  begin(): void {
    this.done = new Promise<void>((r) => (this.resolve = r));
  }

  end(): void {
    const resolve = this.resolve;
    this.done = undefined;
    this.resolve = undefined;
    resolve?.();
  }
}

const maxConsecutiveFailedCommits = 5;

/**
 * What to do after a failed commit: a task is dropped and opened again from its last commit (fenced, or a
 * transient error), unless the error would recur on every retry or the task failed this many times in a row:
 * then the app stops instead of looping.
 */
export class CommitFailures {
  /** Commits that failed in a row, per task. */
  private readonly inARow = new Map<string, number>();

  succeeded(taskId: string): void {
    this.inARow.delete(taskId);
  }

  /** Counts the failure; the error to stop the app with, or undefined when the task should be recovered. */
  failed(taskId: string, error: Error): Error | undefined {
    const failures = (this.inARow.get(taskId) ?? 0) + 1;
    this.inARow.set(taskId, failures);
    if (recursOnRetry(error) || failures >= maxConsecutiveFailedCommits) {
      return new Error(`task ${taskId} cannot commit (${failures} failed in a row): ${error.message}`, { cause: error });
    }
    return undefined;
  }
}

/** Production errors that the same records will meet again: retrying the commit cannot help. */
function recursOnRetry(error: Error): boolean {
  const type = (error as { type?: unknown }).type;
  return (
    type === "MESSAGE_TOO_LARGE" ||
    type === "RECORD_LIST_TOO_LARGE" ||
    type === "INVALID_RECORD" ||
    type === "TOPIC_AUTHORIZATION_FAILED" ||
    type === "TRANSACTIONAL_ID_AUTHORIZATION_FAILED" ||
    type === "GROUP_AUTHORIZATION_FAILED"
  );
}

/** A commit refused because another producer of the task's transactional id took over. */
export function isFencing(err: unknown): boolean {
  const e = err as { type?: unknown; message?: unknown };
  return e.type === "INVALID_PRODUCER_EPOCH" || e.type === "PRODUCER_FENCED" || (typeof e.message === "string" && /fenc/i.test(e.message));
}

/**
 * Commits and the group's rebalances (docs/architecture.md, "Commits and rebalances"). From the moment this
 * member is about to rejoin the group until its new assignment arrives, no commit begins: a commit sent
 * after the coordinator moved to the new generation would carry the old one and be refused (KIP-447), and
 * every task in its transaction would roll back, kept tasks too. The member rejoins only once the commits
 * in flight have ended; the coordinator cannot start the new generation before every member has rejoined.
 * Kafka Streams skips commits while a rebalance is in progress the same way.
 */
export class RebalanceCommitGate {
  private rebalancing = false;
  private readonly inFlight = new Set<Promise<unknown>>();

  /** True from the member's rejoin until its new assignment: a due commit waits for the next chance. */
  get holding(): boolean {
    return this.rebalancing;
  }

  /** Runs a commit, counted as in flight until it ends. */
  track<T>(commit: Promise<T>): Promise<T> {
    this.inFlight.add(commit);
    const done = () => this.inFlight.delete(commit);
    commit.then(done, done);
    return commit;
  }

  /** The member is about to rejoin: resolves once no commit is in flight (none begins from now on). */
  async rebalanceStarting(): Promise<void> {
    this.rebalancing = true;
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  /** The new assignment arrived: commits go on, under its generation. */
  assigned(): void {
    this.rebalancing = false;
  }
}
