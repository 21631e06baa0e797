// Per-key timers of the Processor API: what a processor registers and deletes through `context.timers`,
// and how one processor's timers fire in time order once stream time or wall-clock time passes them.
import type { Serde } from "../serdes/serde.ts";
import type { TimerStore, TimerType } from "../state/timer-store.ts";

export type { TimerType } from "../state/timer-store.ts";

/** A timer handed to `Processor.onTimer`; it is already deleted when that runs. */
export interface Timer<K> {
  readonly key: K;
  readonly timeMs: number;
  readonly type: TimerType;
  /** What `register` was given (stored as JSON). */
  readonly payload: unknown;
}

export interface TimerOptions {
  /** Event time fires once stream time reaches `timeMs`; processing time once the wall clock does. */
  readonly type: TimerType;
  /** Stored with the timer as JSON and handed back to `onTimer`. */
  readonly payload?: unknown;
}

/**
 * A processor's per-key timers. They are kept in the task's state file with a changelog, fire in time
 * order (then key-byte order) and are deleted as they fire, all inside the task's commit: a timer fires
 * once, also across restarts and rebalances. One timer per (key, time, type).
 */
export interface TimerService<K> {
  register(key: K, timeMs: number, options: TimerOptions): void;
  /** Deletes the timer of `key` at `timeMs` (of `type`, or of both types when omitted). */
  delete(key: K, timeMs: number, options?: { readonly type?: TimerType }): void;
}

/** Timers read from SQLite per scan. */
const scanLimit = 256;

/** One processor's timers on its timer store. `earliest*` is a lower bound of the store's first timer, or null when unknown. */
export class ProcessorTimers<K> implements TimerService<K> {
  private readonly store: TimerStore;
  private readonly keySerde: Serde<K> | undefined;
  private readonly topic: string;
  private readonly node: string;
  private earliestEventTime: number | null | undefined = null;
  private earliestProcessingTime: number | null | undefined = null;

  /** `topic` is handed to the key serde (the timer store's changelog topic). */
  constructor(store: TimerStore, keySerde: Serde<K> | undefined, topic: string, node: string) {
    this.store = store;
    this.keySerde = keySerde;
    this.topic = topic;
    this.node = node;
  }

  register(key: K, timeMs: number, options: TimerOptions): void {
    const type = checkType(options?.type);
    this.store.put(type, timeMs, this.serialize(key), options.payload);
    const earliest = this.earliest(type);
    if (earliest === undefined || timeMs < earliest) this.setEarliest(type, timeMs);
  }

  delete(key: K, timeMs: number, options?: { readonly type?: TimerType }): void {
    const k = this.serialize(key);
    // The earliest time stays a lower bound: a scan that finds nothing due corrects it.
    if (options?.type === undefined) {
      this.store.delete("eventTime", timeMs, k);
      this.store.delete("processingTime", timeMs, k);
    } else {
      this.store.delete(checkType(options.type), timeMs, k);
    }
  }

  /** When the first timer of `type` is due at the earliest (Infinity: none). */
  dueAtMs(type: TimerType): number {
    return this.earliest(type) ?? Number.POSITIVE_INFINITY;
  }

  /**
   * Fires every timer of `type` with time ≤ `nowMs`, in order, each deleted before `onTimer` runs, including
   * timers that `onTimer` registers and that are due already. Returns how many fired.
   */
  fire(type: TimerType, nowMs: number, onTimer: (timer: Timer<K>) => void): number {
    let fired = 0;
    while ((this.earliest(type) ?? Number.POSITIVE_INFINITY) <= nowMs) {
      const { due, nextMs } = this.store.due(type, nowMs, scanLimit);
      this.setEarliest(type, nextMs);
      for (const t of due) {
        // An earlier onTimer may have deleted it.
        if (!this.store.delete(type, t.timeMs, t.key)) continue;
        fired++;
        onTimer({ key: this.keySerde!.deserialize(t.key, this.topic), timeMs: t.timeMs, type, payload: t.payload });
      }
    }
    return fired;
  }

  /** The store changed behind this object (rollback, restore): read the earliest times again when needed. */
  forgetEarliest(): void {
    this.earliestEventTime = null;
    this.earliestProcessingTime = null;
  }

  private earliest(type: TimerType): number | undefined {
    if (type === "eventTime") {
      if (this.earliestEventTime === null) this.earliestEventTime = this.store.earliest(type);
      return this.earliestEventTime;
    }
    if (this.earliestProcessingTime === null) this.earliestProcessingTime = this.store.earliest(type);
    return this.earliestProcessingTime;
  }

  private setEarliest(type: TimerType, timeMs: number | undefined): void {
    if (type === "eventTime") this.earliestEventTime = timeMs;
    else this.earliestProcessingTime = timeMs;
  }

  private serialize(key: K): Buffer {
    if (key === null || key === undefined) throw new Error(`processor ${this.node}: a timer needs a key (got ${String(key)})`);
    if (!this.keySerde) {
      throw new Error(`processor ${this.node} registers timers but its key serde is not known: pass process(supplier, { key: serde })`);
    }
    return this.keySerde.serialize(key, this.topic);
  }
}

function checkType(type: TimerType | undefined): TimerType {
  if (type !== "eventTime" && type !== "processingTime") throw new Error(`a timer's type is "eventTime" or "processingTime", got ${String(type)}`);
  return type;
}
