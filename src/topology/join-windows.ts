// JoinWindows: how far apart in event time two records of a stream–stream join may be, and how long a
// join window accepts late records (grace). Kafka Streams' JoinWindows.
import { TopologyError } from "./graph.ts";
import { durationMs, type Duration } from "./windows.ts";

/** A window bound that may be negative: a negative number of milliseconds, or any duration. */
function signedMs(value: Duration, what: string): number {
  return typeof value === "number" && value < 0 ? -durationMs(-value, what) : durationMs(value, what);
}

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

  /**
   * The same windows, with a right record joining when at most `before` earlier than the left one. Negative
   * (a right record must be later by at least -before) as long as before + after ≥ 0, as in Kafka Streams.
   */
  before(before: Duration): JoinWindows {
    return new JoinWindows(signedMs(before, "before"), this.afterMs, this.graceMs);
  }

  /** The same windows, with a right record joining when at most `after` later than the left one (negative: see before). */
  after(after: Duration): JoinWindows {
    return new JoinWindows(this.beforeMs, signedMs(after, "after"), this.graceMs);
  }

  /** How long each side's window store keeps a record: long enough for every record it may still join. */
  retentionMs(): number {
    return this.beforeMs + this.afterMs + this.graceMs + 1;
  }
}
