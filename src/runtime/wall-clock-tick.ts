// The runtime's wall-clock tick: every 50 ms it fires each running task's processing-time timers and
// wall-clock punctuators that are due, commits uncommitted work once the task's commit interval has passed
// (what the tick made, or records no later batch came to commit), and gives a
// multi-input task's buffered records their turn (their wait for an empty partition may have ended).
import type { StreamTask } from "./stream-task.ts";

/** How often processing-time timers and wall-clock punctuators are checked. */
const wallClockTickMs = 50;

export interface WallClockTickOptions {
  readonly tasks: () => Iterable<StreamTask>;
  readonly commit: (task: StreamTask) => Promise<void>;
  /** Processes the task's buffered records (and commits as a batch would). */
  readonly processBuffered: (task: StreamTask) => Promise<void>;
  /** The app stops with this error (a timer or punctuator failed). */
  readonly fail: (error: Error) => void;
}

export class WallClockTick {
  private readonly options: WallClockTickOptions;
  private timer: NodeJS.Timeout | undefined;

  constructor(options: WallClockTickOptions) {
    this.options = options;
  }

  start(): void {
    this.timer ??= setInterval(() => this.tick(), wallClockTickMs);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /**
   * A task in a batch, in a commit or restoring is skipped (StreamTask.punctuate); a task with uncommitted work
   * commits once its commit interval has passed (StreamTask.commitDue), as if a batch had ended.
   */
  tick(now = Date.now()): void {
    const { commit, processBuffered, fail } = this.options;
    for (const task of this.options.tasks()) {
      try {
        task.punctuate(now);
      } catch (err) {
        fail(err as Error);
        return;
      }
      if (!task.busy() && task.status === "running" && task.commitDue(now, "tick")) commit(task).catch((err: unknown) => fail(err as Error));
      if (!task.busy() && task.status === "running" && task.hasBuffered()) processBuffered(task).catch((err: unknown) => fail(err as Error));
    }
  }
}
