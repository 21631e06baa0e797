// KTable.suppress (Kafka Streams' KTableSuppressProcessor): holds the latest update per key in a
// time-ordered buffer on SQLite and emits it once its time has come. `untilWindowCloses`: when stream
// time reaches the window's close (end + grace), exactly one final result per window. `untilTimeLimit`:
// the latest value of a key, a time limit after its first buffered update. The buffer has a changelog,
// and an eviction commits with the output it produced, so a final result is emitted once across crashes.
// A bounded buffer that is over its limits after an update emits its oldest entries early, or fails the task.
import { StateError } from "../state/errors.ts";
import type { TimeOrderedBuffer } from "../state/time-ordered-buffer.ts";
import type { Processor, ProcessorContext } from "./processor.ts";
import type { StreamRecord } from "./record.ts";
import { windowCloseTime, type Windowed, type WindowSpec } from "./windowed.ts";
import { ObservedStreamTime, type StateResetAware } from "./observed-stream-time.ts";

export type SuppressMode = { readonly kind: "untilWindowCloses"; readonly windows: WindowSpec } | { readonly kind: "untilTimeLimit"; readonly timeLimitMs: number };

/** A buffer's capacity (Infinity = no limit) and what an update that passes it does. */
export interface BufferLimits {
  readonly maxRecords: number;
  readonly maxBytes: number;
  readonly whenFull: "emitEarly" | "shutDown";
}

const UNBOUNDED: BufferLimits = { maxRecords: Number.POSITIVE_INFINITY, maxBytes: Number.POSITIVE_INFINITY, whenFull: "shutDown" };

export class SuppressProcessor<K, V> implements Processor<K, V | null, K, V | null>, StateResetAware {
  private readonly nodeName: string;
  private readonly storeName: string;
  private readonly mode: SuppressMode;
  private readonly limits: BufferLimits;
  private readonly bounded: boolean;
  private context!: ProcessorContext<K, V | null>;
  private buffer!: TimeOrderedBuffer<K, V>;
  /**
   * The suppression's own stream time, as Kafka Streams' KTableSuppressProcessor keeps it: the largest timestamp
   * of the updates it received (not the task's, which records that never reach it move on). It starts over
   * after a restart or rollback, as there after a restart: what was due before was emitted and committed, and
   * the windowed aggregations upstream never send an update for a closed window.
   */
  private readonly streamTime = new ObservedStreamTime(() => Number.NEGATIVE_INFINITY);

  constructor(nodeName: string, storeName: string, mode: SuppressMode, limits: BufferLimits = UNBOUNDED) {
    this.nodeName = nodeName;
    this.storeName = storeName;
    this.mode = mode;
    this.limits = limits;
    this.bounded = limits.maxRecords !== Number.POSITIVE_INFINITY || limits.maxBytes !== Number.POSITIVE_INFINITY;
  }

  init(context: ProcessorContext<K, V | null>): void {
    this.context = context;
    this.buffer = context.getStateStore<TimeOrderedBuffer<K, V>>(this.storeName);
  }

  stateReset(): void {
    this.streamTime.reset();
  }

  process(record: StreamRecord<K, V | null>): void {
    const now = this.streamTime.observe(record.timestamp);
    let time: number;
    if (this.mode.kind === "untilWindowCloses") {
      time = windowCloseTime((record.key as Windowed<unknown>).window, this.mode.windows);
      // The window closed before this update arrived: its final result may be out already, so the
      // update is late (the windowed aggregations upstream never send one; a custom processor might).
      if (time <= now) {
        this.context.dropLateRecord(this.storeName);
        return;
      }
    } else {
      // The buffer keeps a held key's time (its first buffered update's), so a busy key is still emitted each time limit.
      time = record.timestamp + this.mode.timeLimitMs;
    }
    this.buffer.put({ key: record.key, value: record.value, timestamp: record.timestamp, time });
    this.emitDue(now);
    if (this.bounded) this.enforceLimits();
  }

  private emitDue(now: number): void {
    for (const r of this.buffer.evictUpTo(now)) this.emit(r.key, r.value, r.timestamp);
  }

  /**
   * After the due entries left: an over-full buffer emits its entries with the earliest buffer time until it
   * fits (emitEarly), or fails the task (shutDown). The sizes come from the store, so they hold after a restore.
   */
  private enforceLimits(): void {
    if (!this.overCapacity()) return;
    if (this.limits.whenFull === "shutDown") {
      const { maxRecords, maxBytes } = this.limits;
      throw new StateError(
        "WEIR_STATE_BUFFER_FULL",
        `suppress node ${this.nodeName} (store ${this.storeName}) is full: it holds ${this.buffer.numRecords()} records` +
          `${maxRecords === Number.POSITIVE_INFINITY ? "" : ` (maxRecords ${maxRecords})`} and ${this.buffer.sizeBytes()} bytes` +
          `${maxBytes === Number.POSITIVE_INFINITY ? "" : ` (maxBytes ${maxBytes})`}, and its buffer config says shutDownWhenFull(): raise the limit, or use emitEarlyWhenFull() with untilTimeLimit`,
      );
    }
    while (this.overCapacity()) {
      const r = this.buffer.evictEarliest();
      if (r === undefined) break;
      this.emit(r.key, r.value, r.timestamp);
    }
  }

  private overCapacity(): boolean {
    return (this.limits.maxRecords !== Number.POSITIVE_INFINITY && this.buffer.numRecords() > this.limits.maxRecords) || (this.limits.maxBytes !== Number.POSITIVE_INFINITY && this.buffer.sizeBytes() > this.limits.maxBytes);
  }

  private emit(key: K, value: V | null, timestamp: number): void {
    // A final result that is a deletion (a session merged away) is not emitted: nothing was before it.
    if (value === null && this.mode.kind === "untilWindowCloses") return;
    this.context.forward({ key, value, timestamp, headers: {} });
  }
}
