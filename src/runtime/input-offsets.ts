// One task's input offsets: per input topic (of the task's one partition), the offset after the last
// record processed and not yet committed (its position), and the committed offset its state reflects.
// A task never processes an offset twice, and fetching resumes from here, never from the client's own
// idea of the position (see TaskManager's run()).
import type { BatchMessage, TopicPartitionOffset } from "../kafka/index.ts";

export class InputOffsets {
  private readonly partition: number;
  private readonly topics: readonly string[];
  /** Per input topic, the offset after the last record processed and not yet committed. */
  private readonly positions = new Map<string, string>();
  /**
   * Per input topic, the committed offset the task's state reflects: read from the group after fencing,
   * then moved by each commit of ours.
   */
  private readonly committed = new Map<string, string>();

  constructor(topics: readonly string[], partition: number) {
    this.topics = topics;
    this.partition = partition;
  }

  /** Notes that the record at `offset` of `topic` was processed. */
  processed(topic: string, offset: string): void {
    this.positions.set(topic, (BigInt(offset) + 1n).toString());
  }

  /**
   * The index of the first message past what this task has processed. A task never processes an offset
   * twice: the client may hand over a batch fetched before a rebalance or a seek (kafkajs's isStale() knows
   * only of seeks), after this task has moved past those records.
   */
  firstUnprocessed(topic: string, messages: readonly BatchMessage[]): number {
    const next = this.positions.get(topic) ?? this.committed.get(topic);
    let start = 0;
    if (next !== undefined && messages.length > 0 && BigInt(messages[0]!.offset) < BigInt(next)) {
      const floor = BigInt(next);
      while (start < messages.length && BigInt(messages[start]!.offset) < floor) start++;
    }
    return start;
  }

  /** Takes the group's committed offsets (read after fencing) for inputs this task has not committed itself. */
  adoptCommitted(committed: ReadonlyMap<string, string>): void {
    for (const topic of this.topics) {
      const offset = committed.get(`${topic}:${this.partition}`);
      if (!this.committed.has(topic) && offset !== undefined && offset !== "-1") this.committed.set(topic, offset);
    }
  }

  /**
   * Where fetching of each input must resume: past what this task processed (committed or not), else
   * the committed offset, else (absent) the log start when nothing was committed.
   */
  resumeOffsets(): ReadonlyMap<string, string> {
    const offsets = new Map(this.committed);
    for (const [topic, position] of this.positions) offsets.set(topic, position);
    return offsets;
  }

  /** Inputs were processed since the last commit. */
  hasUncommitted(): boolean {
    return this.positions.size > 0;
  }

  /** The input offsets processed and not yet committed. */
  uncommitted(): TopicPartitionOffset[] {
    return [...this.positions].map(([topic, offset]) => ({ topic, partition: this.partition, offset }));
  }

  /** Takes the uncommitted offsets for a commit: from now on they are the commit's, not the task's. */
  takeUncommitted(): TopicPartitionOffset[] {
    const offsets = this.uncommitted();
    this.positions.clear();
    return offsets;
  }

  /** The commit of `offsets` (from takeUncommitted) succeeded: the task's state reflects them. */
  committedAt(offsets: readonly TopicPartitionOffset[]): void {
    for (const { topic, offset } of offsets) this.committed.set(topic, offset);
  }

  /** Forgets the positions since the last commit (rollback): fetching resumes from the committed offsets. */
  rollback(): void {
    this.positions.clear();
  }

  /** For `/tasks`: the committed offset of `topic` and the position the task has reached (committed or not). */
  of(topic: string): { committed: string | null; position: string | null } {
    const committed = this.committed.get(topic) ?? null;
    return { committed, position: this.positions.get(topic) ?? committed };
  }
}
