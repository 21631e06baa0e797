// A task's lifecycle, as Kafka Streams' Task.State: every change goes through transition(), which checks it
// against the table below and throws an IllegalTaskTransitionError for any other.
//
//   restoring → running     its stores are restored (or had nothing to restore)
//   restoring → restoring   restored again (a newer rebalance before the restore ended)
//   running   → restoring   kept across a rebalance: its changelogs are checked again
//   restoring | running → closed
import { WeirError } from "./errors.ts";

export type TaskStatus = "restoring" | "running" | "closed";

const allowed: Readonly<Record<TaskStatus, readonly TaskStatus[]>> = {
  restoring: ["restoring", "running", "closed"],
  running: ["restoring", "closed"],
  closed: [],
};

/** A task was asked to change to a state it cannot reach from its current one: a bug in the runtime. */
export class IllegalTaskTransitionError extends WeirError {
  readonly task: string;
  readonly from: TaskStatus;
  readonly to: TaskStatus;
  constructor(task: string, from: TaskStatus, to: TaskStatus) {
    super("WEIR_ILLEGAL_TASK_TRANSITION", `task ${task} cannot go from ${from} to ${to}`);
    this.task = task;
    this.from = from;
    this.to = to;
  }
}

export class TaskState {
  private readonly task: string;
  private value: TaskStatus = "restoring";

  constructor(task: string) {
    this.task = task;
  }

  get current(): TaskStatus {
    return this.value;
  }

  /** Moves to `to`; throws an IllegalTaskTransitionError when the table does not allow it. */
  transition(to: TaskStatus): void {
    if (!allowed[this.value].includes(to)) throw new IllegalTaskTransitionError(this.task, this.value, to);
    this.value = to;
  }
}
