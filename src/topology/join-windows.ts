// JoinWindows: how far apart in event time two records of a stream–stream join may be, and how long a
// join window accepts late records (grace). Kafka Streams' JoinWindows.
import { TopologyError } from "./graph.ts";
import { durationMs, type Duration } from "./windows.ts";

export class JoinWindows {
  /** A left record at t joins right records in [t − beforeMs, t + afterMs]. */
  readonly beforeMs: number;
  readonly afterMs: number;
  readonly graceMs: number;

  private constructor(beforeMs: number, afterMs: number, graceMs: number) {
    if (beforeMs + afterMs < 0) throw new TopologyError(`a join window needs before + after ≥ 0, got ${beforeMs} and ${afterMs}`);
    this.beforeMs = beforeMs;
    this.afterMs = afterMs;
    this.graceMs = graceMs;
  }

  /** Records at most `difference` apart join; windows accept records until stream time passes them by `grace`. */
  static ofTimeDifferenceAndGrace(difference: Duration, grace: Duration): JoinWindows {
    const ms = durationMs(difference, "time difference");
    return new JoinWindows(ms, ms, durationMs(grace, "grace"));
  }

  static ofTimeDifferenceWithNoGrace(difference: Duration): JoinWindows {
    const ms = durationMs(difference, "time difference");
    return new JoinWindows(ms, ms, 0);
  }

  /** The same windows, with a right record joining when at most `before` earlier than the left one. */
  before(before: Duration): JoinWindows {
    return new JoinWindows(durationMs(before, "before"), this.afterMs, this.graceMs);
  }

  /** The same windows, with a right record joining when at most `after` later than the left one. */
  after(after: Duration): JoinWindows {
    return new JoinWindows(this.beforeMs, durationMs(after, "after"), this.graceMs);
  }

  /** How long each side's window store keeps a record: long enough for every record it may still join. */
  retentionMs(): number {
    return this.beforeMs + this.afterMs + this.graceMs + 1;
  }
}
