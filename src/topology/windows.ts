// Window definitions with Kafka Streams' semantics: tumbling and hopping time windows (aligned to the
// epoch, end exclusive), sliding windows and session windows (end inclusive), each with a grace period.
import type { Window, WindowSpec } from "../processor/windowed.ts";
import { TopologyError } from "./graph.ts";

/** Milliseconds, or a string such as "500ms", "10s", "5m", "1h", "1d". */
export type Duration = number | string;

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

export function durationMs(d: Duration, what: string): number {
  let ms: number;
  if (typeof d === "number") {
    ms = d;
  } else {
    const m = /^\s*(\d+)\s*(ms|s|m|h|d)\s*$/.exec(d);
    if (!m) throw new TopologyError(`${what} must be milliseconds or a duration like "10s", "5m", "1h"; got ${JSON.stringify(d)}`);
    ms = Number(m[1]) * UNITS[m[2]!]!;
  }
  if (!Number.isSafeInteger(ms) || ms < 0) throw new TopologyError(`${what} must be a whole number of milliseconds ≥ 0, got ${d}`);
  return ms;
}

/** Tumbling windows (advance = size) or hopping windows (advance < size), aligned to the epoch. */
export class TimeWindows implements WindowSpec {
  readonly sizeMs: number;
  readonly advanceMs: number;
  readonly graceMs: number;
  readonly endInclusive = false;

  private constructor(sizeMs: number, advanceMs: number, graceMs: number) {
    if (sizeMs <= 0) throw new TopologyError(`a time window's size must be > 0 ms, got ${sizeMs}`);
    if (advanceMs <= 0 || advanceMs > sizeMs) throw new TopologyError(`a time window's advance must be > 0 and ≤ its size (${sizeMs} ms), got ${advanceMs}`);
    this.sizeMs = sizeMs;
    this.advanceMs = advanceMs;
    this.graceMs = graceMs;
  }

  /** Tumbling windows of `size` that close as soon as stream time reaches their end. */
  static ofSizeWithNoGrace(size: Duration): TimeWindows {
    const ms = durationMs(size, "window size");
    return new TimeWindows(ms, ms, 0);
  }

  /** Tumbling windows of `size` that accept records until stream time reaches end + `grace`. */
  static ofSizeAndGrace(size: Duration, grace: Duration): TimeWindows {
    const ms = durationMs(size, "window size");
    return new TimeWindows(ms, ms, durationMs(grace, "grace"));
  }

  /** Hopping windows: a window starts every `advance` (≤ size), so a record falls into size / advance windows. */
  advanceBy(advance: Duration): TimeWindows {
    return new TimeWindows(this.sizeMs, durationMs(advance, "window advance"), this.graceMs);
  }

  /** The windows holding `timestamp`, by start: start = k × advance ≤ timestamp < start + size, start ≥ 0. */
  windowsFor(timestamp: number): Window[] {
    const out: Window[] = [];
    let start = Math.floor(Math.max(0, timestamp - this.sizeMs + this.advanceMs) / this.advanceMs) * this.advanceMs;
    for (; start <= timestamp; start += this.advanceMs) out.push({ start, end: start + this.sizeMs });
    return out;
  }

  /** Kafka Streams' default retention of the window store: size + grace. */
  defaultRetentionMs(): number {
    return this.sizeMs + this.graceMs;
  }
}

/**
 * Sliding windows: windows of a fixed time difference defined by the records themselves, [t − difference, t]
 * ending at each record and [t + 1, t + 1 + difference] starting right after it when later records fall there.
 * A window exists only when it holds a record, so each distinct set of records is one window.
 */
export class SlidingWindows implements WindowSpec {
  readonly timeDifferenceMs: number;
  readonly graceMs: number;
  readonly endInclusive = true;

  private constructor(timeDifferenceMs: number, graceMs: number) {
    if (timeDifferenceMs <= 0) throw new TopologyError(`a sliding window's time difference must be > 0 ms, got ${timeDifferenceMs}`);
    this.timeDifferenceMs = timeDifferenceMs;
    this.graceMs = graceMs;
  }

  static ofTimeDifferenceAndGrace(difference: Duration, grace: Duration): SlidingWindows {
    return new SlidingWindows(durationMs(difference, "time difference"), durationMs(grace, "grace"));
  }

  static ofTimeDifferenceWithNoGrace(difference: Duration): SlidingWindows {
    return new SlidingWindows(durationMs(difference, "time difference"), 0);
  }

  /**
   * 3 × difference + grace. A record reads windows back to t − 2 × difference; Kafka Streams' retention,
   * 2 × difference + grace, counts back from the latest window *start* its store holds, which trails the latest
   * record by the difference (a left window [t − d, t]), while a Weir store counts back from the latest record
   * timestamp: one difference more keeps the windows Kafka Streams finds (found by a differential run against
   * Kafka Streams 4.4: with 2d + grace an earlier record of the key was missed once another key moved time on).
   */
  defaultRetentionMs(): number {
    return 3 * this.timeDifferenceMs + this.graceMs;
  }
}

/** Session windows: a key's records closer than the inactivity gap form one session [first, last]; sessions merge. */
export class SessionWindows implements WindowSpec {
  readonly inactivityGapMs: number;
  readonly graceMs: number;
  readonly endInclusive = true;

  private constructor(inactivityGapMs: number, graceMs: number) {
    if (inactivityGapMs <= 0) throw new TopologyError(`a session's inactivity gap must be > 0 ms, got ${inactivityGapMs}`);
    this.inactivityGapMs = inactivityGapMs;
    this.graceMs = graceMs;
  }

  static ofInactivityGapAndGrace(gap: Duration, grace: Duration): SessionWindows {
    return new SessionWindows(durationMs(gap, "inactivity gap"), durationMs(grace, "grace"));
  }

  static ofInactivityGapWithNoGrace(gap: Duration): SessionWindows {
    return new SessionWindows(durationMs(gap, "inactivity gap"), 0);
  }

  /**
   * The session store's retention: gap + grace (Kafka Streams') + 1 ms. A session is open while its end ≥
   * stream time − gap − grace, and the store hides sessions ending at or before stream time − retention,
   * so without the extra millisecond a record could miss a session that is still open.
   */
  defaultRetentionMs(): number {
    return this.inactivityGapMs + this.graceMs + 1;
  }
}
