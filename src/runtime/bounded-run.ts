// A bounded run (`weir run --until-end`, README "Bounded mode"): the input end offsets noted at
// start, and the input offsets this instance's tasks have committed since, so the app can tell when every task
// has committed up to its partitions' ends and stop.
import type { TopicAdmin } from "../kafka/index.ts";
import type { StreamTask } from "./stream-task.ts";

export class BoundedRun {
  private readonly endOffsets = new Map<string, bigint>();
  private readonly committedInputs = new Map<string, bigint>();

  private constructor() {}

  /** Notes the end offsets of `topics` and what the group has committed on them. */
  static async start(admin: TopicAdmin, groupId: string, topics: readonly string[]): Promise<BoundedRun> {
    const run = new BoundedRun();
    for (const topic of topics) {
      for (const [partition, end] of await admin.endOffsets(topic)) run.endOffsets.set(`${topic}:${partition}`, BigInt(end));
    }
    for (const [key, offset] of await admin.committedOffsets(groupId, topics)) {
      if (offset !== "-1") run.committedInputs.set(key, BigInt(offset));
    }
    // A partition whose records were all deleted (retention) has nothing to process, so nothing would ever
    // be committed for it: it counts as at its end. (Records deleted after this point are not noticed.)
    for (const topic of topics) {
      for (const [partition, low] of await admin.earliestOffsets(topic)) {
        const key = `${topic}:${partition}`;
        const end = run.endOffsets.get(key) ?? 0n;
        if (BigInt(low) >= end && (run.committedInputs.get(key) ?? 0n) < end) run.committedInputs.set(key, end);
      }
    }
    return run;
  }

  /** A task committed these input offsets (`topic:partition` → the next offset to process). */
  committed(offsets: ReadonlyMap<string, string>): void {
    for (const [key, offset] of offsets) this.committedInputs.set(key, BigInt(offset));
  }

  /** Every task here runs and has committed up to the ends noted at start (none assigned yet: not at the end). */
  atEnd(tasks: readonly StreamTask[]): boolean {
    if (tasks.length === 0 || tasks.some((t) => t.status !== "running")) return false;
    return tasks.every((task) =>
      task.subTopology.sourceTopics.every((topic) => {
        const key = `${topic}:${task.partition}`;
        return (this.committedInputs.get(key) ?? 0n) >= (this.endOffsets.get(key) ?? 0n);
      }),
    );
  }
}
