// What this member holds of the group's assignment (docs/architecture.md, "The processing loop", step 3): the
// tasks of its last assignment, which the next one may keep, and the generation their commits carry under
// exactly-once v2. An assignment under another member id means the group removed this member in between (its
// session expired: a frozen process, a long pause), and the generations it missed may have given its tasks to
// others, who wrote their changelogs: then nothing is kept (Kafka Streams' lost tasks).
import type { GroupMetadata } from "../kafka/index.ts";

export class MemberAssignment {
  private tasks: ReadonlySet<string> = new Set();
  private generation: GroupMetadata | undefined;

  /** True when `metadata` names another member than the last assignment did: the group lost this member meanwhile. */
  lostBefore(metadata: GroupMetadata | undefined): boolean {
    return this.generation !== undefined && metadata !== undefined && metadata.memberId !== this.generation.memberId;
  }

  /** The tasks a new assignment keeps if it holds them too: the last assignment's, none when the member was lost. */
  keepable(lost: boolean): ReadonlySet<string> {
    return lost ? new Set() : this.tasks;
  }

  /** From now on only these tasks may commit, under this generation: a revoked task's new owner may already be reading. */
  assigned(tasks: Iterable<string>, metadata: GroupMetadata | undefined): void {
    this.tasks = new Set(tasks);
    this.generation = metadata;
  }

  /** The generation a task's commit carries (v2); undefined when the task is not in the current assignment. */
  commitGeneration(id: string): GroupMetadata | undefined {
    return this.tasks.has(id) ? this.generation : undefined;
  }
}
