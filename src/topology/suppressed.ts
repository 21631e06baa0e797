// Suppressed and its buffer configs (Kafka Streams' Suppressed, Suppressed.BufferConfig): when `suppress`
// emits, and how large its buffer may grow before it emits early or fails the task. The types carry the
// full-buffer policy, so `untilWindowCloses` takes only a strict config, as in Kafka Streams.
import type { BufferLimits } from "../processor/suppress.ts";
import { TopologyError } from "./graph.ts";
import { durationMs, type Duration } from "./windows.ts";

/** What a full buffer does: evict its oldest entries by emitting them early, or fail the task. */
export type BufferFullPolicy = "emitEarly" | "shutDown";

/**
 * A suppress buffer's limits (records, bytes; Infinity = none) and what happens when an update would pass
 * them. Bytes are the key's and value's serialized bytes plus 17 per entry (see docs/architecture.md).
 */
export class BufferConfig<P extends BufferFullPolicy = BufferFullPolicy> implements BufferLimits {
  readonly maxRecords: number;
  readonly maxBytes: number;
  readonly whenFull: P;

  private constructor(maxRecords: number, maxBytes: number, whenFull: P) {
    this.maxRecords = maxRecords;
    this.maxBytes = maxBytes;
    this.whenFull = whenFull;
  }

  /** At most `n` records; emits the oldest early when full (change the policy with shutDownWhenFull()). */
  static maxRecords(n: number): EagerBufferConfig {
    return new BufferConfig(limit(n, "maxRecords"), Number.POSITIVE_INFINITY, "emitEarly");
  }

  /** At most `n` bytes; emits the oldest early when full (change the policy with shutDownWhenFull()). */
  static maxBytes(n: number): EagerBufferConfig {
    return new BufferConfig(Number.POSITIVE_INFINITY, limit(n, "maxBytes"), "emitEarly");
  }

  /** No limit: the buffer holds every key it is given (it lives on disk, in the task's state file). */
  static unbounded(): StrictBufferConfig {
    return new BufferConfig(Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY, "shutDown");
  }

  /** The same config with a record limit too. */
  withMaxRecords(n: number): BufferConfig<P> {
    return new BufferConfig(limit(n, "maxRecords"), this.maxBytes, this.whenFull);
  }

  /** The same config with a byte limit too. */
  withMaxBytes(n: number): BufferConfig<P> {
    return new BufferConfig(this.maxRecords, limit(n, "maxBytes"), this.whenFull);
  }

  /** No limit at all (a strict config: it can never be full). */
  withNoBound(): StrictBufferConfig {
    return BufferConfig.unbounded();
  }

  /** When full, evict the entries with the earliest buffer time by emitting them before their time. */
  emitEarlyWhenFull(): EagerBufferConfig {
    return new BufferConfig(this.maxRecords, this.maxBytes, "emitEarly");
  }

  /** When full, fail the task with WEIR_STATE_BUFFER_FULL, naming the suppress node and its limit. */
  shutDownWhenFull(): StrictBufferConfig {
    return new BufferConfig(this.maxRecords, this.maxBytes, "shutDown");
  }

  /** Strict: never emits a result early (unbounded, or fails the task when full). */
  isStrict(): boolean {
    return this.whenFull === "shutDown" || (this.maxRecords === Number.POSITIVE_INFINITY && this.maxBytes === Number.POSITIVE_INFINITY);
  }

  toString(): string {
    // As the calls that make it: maxRecords(n), maxBytes(n) or maxRecords(n).withMaxBytes(m).
    const records = this.maxRecords === Number.POSITIVE_INFINITY ? "" : `maxRecords(${this.maxRecords})`;
    const bytes = this.maxBytes === Number.POSITIVE_INFINITY ? "" : records ? `withMaxBytes(${this.maxBytes})` : `maxBytes(${this.maxBytes})`;
    const limits = [records, bytes].filter(Boolean);
    if (limits.length === 0) return "unbounded()";
    return `${limits.join(".")}.${this.whenFull === "emitEarly" ? "emitEarlyWhenFull()" : "shutDownWhenFull()"}`;
  }
}

/** A buffer config that never emits early: what `untilWindowCloses` takes. */
export type StrictBufferConfig = BufferConfig<"shutDown">;
/** A bounded buffer config that emits its oldest entries early when full. */
export type EagerBufferConfig = BufferConfig<"emitEarly">;

function limit(n: number, what: string): number {
  if (!Number.isSafeInteger(n) || n < 0) throw new TopologyError(`Suppressed.BufferConfig.${what} must be a whole number ≥ 0, got ${n}`);
  return n;
}

/** How `suppress` holds updates back: until the window closes (final results), or for a time limit per key. */
export type Suppressed = { readonly untilWindowCloses: true; readonly buffer: BufferConfig } | { readonly untilTimeLimitMs: number; readonly buffer: BufferConfig };

export const Suppressed = {
  /**
   * One final result per window, when stream time passes its close (see windowCloseTime). The buffer must
   * be strict (unbounded, the default, or bounded with shutDownWhenFull()): emitting early would break the
   * one-final-result promise.
   */
  untilWindowCloses: (buffer: StrictBufferConfig = BufferConfig.unbounded()): Suppressed => {
    if (!(buffer instanceof BufferConfig)) throw new TopologyError("Suppressed.untilWindowCloses takes a Suppressed.BufferConfig");
    if (!buffer.isStrict()) {
      throw new TopologyError(
        `Suppressed.untilWindowCloses needs a strict buffer config (unbounded(), or a limit with shutDownWhenFull()), got ${buffer.toString()}: a buffer that emits early would emit a window's result before it is final`,
      );
    }
    return { untilWindowCloses: true, buffer };
  },
  /** The latest value of a key, `limit` after its first held-back update (in stream time); any buffer config (default unbounded). */
  untilTimeLimit: (limit: Duration, buffer: BufferConfig = BufferConfig.unbounded()): Suppressed => {
    if (!(buffer instanceof BufferConfig)) throw new TopologyError("Suppressed.untilTimeLimit takes a Suppressed.BufferConfig");
    return { untilTimeLimitMs: durationMs(limit, "time limit"), buffer };
  },
  /** Kafka Streams' Suppressed.BufferConfig: maxRecords(n), maxBytes(n), unbounded(). */
  BufferConfig,
};

/** The DSL call, for `describe()`: `Suppressed.untilTimeLimit(60000ms, BufferConfig.maxRecords(2).emitEarlyWhenFull())`. */
export function describeSuppressed(suppressed: Suppressed): string {
  const buffer = `BufferConfig.${suppressed.buffer.toString()}`;
  return "untilWindowCloses" in suppressed ? `Suppressed.untilWindowCloses(${buffer})` : `Suppressed.untilTimeLimit(${suppressed.untilTimeLimitMs}ms, ${buffer})`;
}
