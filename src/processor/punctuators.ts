// Task-level punctuators (`context.schedule`), with Kafka Streams' semantics: a stream-time punctuator is
// aligned to multiples of its interval and first runs at the first record; a wall-clock one first runs an
// interval after it was scheduled. Missed intervals are skipped, not caught up. They are not persisted.

export type PunctuationType = "streamTime" | "wallClockTime";

/** Called with the stream time or the wall-clock time at which it runs (not the scheduled time). */
export type Punctuator = (timestampMs: number) => void;

export interface Cancellable {
  cancel(): void;
}

class Schedule {
  nextMs: number;
  readonly intervalMs: number;
  readonly node: string;
  readonly punctuator: Punctuator;
  cancelled = false;
  constructor(nextMs: number, intervalMs: number, node: string, punctuator: Punctuator) {
    this.nextMs = nextMs;
    this.intervalMs = intervalMs;
    this.node = node;
    this.punctuator = punctuator;
  }
}

/** The punctuators of one time kind of one task. */
export class PunctuationQueue {
  private schedules: Schedule[] = [];
  /** The earliest `nextMs`, so that the per-record check is one comparison. */
  private dueMs = Number.POSITIVE_INFINITY;

  schedule(firstMs: number, intervalMs: number, node: string, punctuator: Punctuator): Cancellable {
    if (!Number.isSafeInteger(intervalMs) || intervalMs < 1) throw new RangeError(`a punctuation interval must be an integer ≥ 1 ms, got ${intervalMs}`);
    const s = new Schedule(firstMs, intervalMs, node, punctuator);
    this.schedules.push(s);
    if (firstMs < this.dueMs) this.dueMs = firstMs;
    return {
      cancel: () => {
        if (s.cancelled) return;
        s.cancelled = true;
        this.schedules = this.schedules.filter((x) => x !== s);
        this.recompute();
      },
    };
  }

  dueAtMs(): number {
    return this.dueMs;
  }

  /**
   * Runs each punctuator due at `nowMs` once, earliest first, through `run(node, call)` (which names the node
   * in errors); returns how many ran.
   */
  punctuate(nowMs: number, run: (node: string, call: () => void) => void): number {
    if (this.dueMs > nowMs) return 0;
    const due = this.schedules.filter((s) => s.nextMs <= nowMs).sort((a, b) => a.nextMs - b.nextMs);
    let ran = 0;
    try {
      for (const s of due) {
        if (s.cancelled) continue;
        // As Kafka Streams' PunctuationSchedule.next: the next time is on the schedule's grid, after now.
        const missed = Math.floor((nowMs - s.nextMs) / s.intervalMs);
        s.nextMs += (missed + 1) * s.intervalMs;
        ran++;
        run(s.node, () => s.punctuator(nowMs));
      }
    } finally {
      this.recompute();
    }
    return ran;
  }

  private recompute(): void {
    let min = Number.POSITIVE_INFINITY;
    for (const s of this.schedules) if (s.nextMs < min) min = s.nextMs;
    this.dueMs = min;
  }
}
