// The aggregation of sliding windows, with Kafka Streams' semantics (KStreamSlidingWindowAggregate, KIP-450).
// For a record at t and a time difference d, the windows are [t − d, t] (its left window) and, when a later
// record falls within d, [t + 1, t + 1 + d] (its right window). A window is created only when a record
// enters it, so windows whose contents would be equal are never both created; the aggregates of new
// windows are seeded from existing ones (the store holds aggregates, not records). Records before d
// (t < d) share one window [0, d].
import type { ValueAndTimestamp, WindowStore, WindowStoreEntry } from "../state/types.ts";
import type { Aggregator, Initializer } from "./aggregate.ts";
import { dropLate, hasKeyAndValue, type WindowedOutputs } from "./late-records.ts";
import type { Processor, ProcessorContext } from "./processor.ts";
import type { StreamRecord } from "./record.ts";
import type { Window, Windowed } from "./windowed.ts";
import type { WindowCloseEmitter } from "./emit-on-close.ts";
import { ObservedStreamTime, type StateResetAware } from "./observed-stream-time.ts";

/** An aggregate that may not exist yet: reduce has no initializer, so a new window starts empty. */
type Seed<A> = { readonly value: A | undefined; readonly timestamp: number };

export class SlidingWindowAggregateProcessor<K, V, A> implements Processor<K, V, Windowed<K>, A>, StateResetAware {
  private readonly differenceMs: number;
  private readonly graceMs: number;
  private readonly initializer: Initializer<A> | undefined;
  private readonly aggregator: Aggregator<K, V, A>;
  private readonly outputs: WindowedOutputs;
  private context!: ProcessorContext<Windowed<K>, A>;
  private store!: WindowStore<K, A>;
  /** Set while a record is processed: some window it belongs to had closed. */
  private late = false;
  private readonly streamTime = new ObservedStreamTime(() => this.store.observedStreamTimeMs());

  /** EmitStrategy.onWindowClose: results leave only when their window closes. */
  private readonly onClose: WindowCloseEmitter | undefined;

  constructor(differenceMs: number, graceMs: number, initializer: Initializer<A> | undefined, aggregator: Aggregator<K, V, A>, outputs: WindowedOutputs, onClose?: WindowCloseEmitter) {
    this.onClose = onClose;
    this.differenceMs = differenceMs;
    this.graceMs = graceMs;
    this.initializer = initializer;
    this.aggregator = aggregator;
    this.outputs = outputs;
  }

  init(context: ProcessorContext<Windowed<K>, A>): void {
    this.context = context;
    this.store = context.getStateStore<WindowStore<K, A>>(this.outputs.store);
  }

  stateReset(): void {
    this.streamTime.reset();
  }

  process(record: StreamRecord<K, V>): void {
    if (!hasKeyAndValue(this.context as ProcessorContext<unknown, unknown>, record)) return;
    const t = record.timestamp;
    this.onClose?.emitBefore(this.context, this.store, t, record.headers);
    // Windows include their end: one is open while end ≥ stream time − grace, the aggregation's own stream
    // time (observed-stream-time.ts).
    const closeTime = this.streamTime.observe(t) - this.graceMs;
    this.late = false;
    // Even the record's right window [t + 1, t + 1 + d] has closed: nothing to update.
    if (t + this.differenceMs < closeTime) {
      dropLate(this.context as ProcessorContext<unknown, unknown>, this.outputs, record);
      return;
    }
    if (t < this.differenceMs) this.processEarly(record, closeTime);
    else this.processInOrder(record, closeTime);
    if (this.late) dropLate(this.context as ProcessorContext<unknown, unknown>, this.outputs, record);
  }

  /**
   * Kafka Streams' processReverse: the existing windows from the latest start back, so that updates go
   * downstream from the latest window to the earliest, as there; then the windows the record creates.
   */
  private processInOrder(record: StreamRecord<K, V>, closeTime: number): void {
    const d = this.differenceMs;
    const t = record.timestamp;
    const starts = new Set<number>();
    let leftSeed: ValueAndTimestamp<A> | undefined;
    let rightSeed: ValueAndTimestamp<A> | undefined;
    let leftExists = false;
    let rightExists = false;
    let previous: number | undefined;
    // Windows starting from t − 2d (the left window of the previous record within d) to t + 1 (our right window).
    const windows = this.store.fetchRange(record.key, Math.max(0, t - 2 * d), t + 1);
    for (let i = windows.length - 1; i >= 0; i--) {
      const w = windows[i]!;
      starts.add(w.start);
      if (w.start === t + 1) {
        rightExists = true;
      } else if (w.end > t) {
        // A window holding t that ends after it; the latest-starting one holds only records after t (the
        // previous record's right window), which seed our right window.
        rightSeed ??= w;
        this.update(record, w, w, closeTime);
      } else if (w.end === t) {
        leftExists = true;
        this.update(record, w, w, closeTime);
        // A record at t was here before: every window this record needs exists already.
        if (w.timestamp >= t) return;
        previous = w.timestamp;
      } else {
        // The latest window ending before t: what records before t leave for our left window.
        leftSeed = w;
        previous = w.timestamp;
        break;
      }
    }
    // The previous record's right window did not exist (nothing followed it within d); now t falls in it.
    if (previous !== undefined && !starts.has(previous + 1) && previous + 1 + d >= t) {
      this.update(record, { start: previous + 1, end: previous + 1 + d }, this.empty(t), closeTime);
    }
    if (!leftExists) {
      const seed = previous !== undefined && t - d <= previous && leftSeed !== undefined ? { value: leftSeed.value, timestamp: t } : this.empty(t);
      this.update(record, { start: t - d, end: t }, seed, closeTime);
    }
    if (!rightExists && rightSeed !== undefined && rightSeed.timestamp > t) this.createRightWindow(record, rightSeed);
  }

  /** Records with t < d: their left windows would start before 0, so they share [0, d]. */
  private processEarly(record: StreamRecord<K, V>, closeTime: number): void {
    const d = this.differenceMs;
    const t = record.timestamp;
    const starts = new Set<number>();
    let combined: WindowStoreEntry<K, A> | undefined;
    let rightSeed: ValueAndTimestamp<A> | undefined;
    let rightExists = false;
    let previous: number | undefined;
    for (const w of this.store.fetchRange(record.key, 0, t + 1)) {
      starts.add(w.start);
      if (w.start === 0) {
        combined = w;
        if (w.timestamp < t) previous = w.timestamp;
      } else if (w.start <= t) {
        rightSeed = w;
        this.update(record, w, w, closeTime);
      } else if (w.start === t + 1) {
        rightExists = true;
      } else {
        throw new Error(`sliding window aggregation found an unexpected window starting at ${w.start} for an early record at ${t}`);
      }
    }
    // With no window between, [0, d] holds only records after t when its latest is after t.
    if (rightSeed === undefined && combined !== undefined && combined.timestamp > t) rightSeed = combined;
    if (!rightExists && rightSeed !== undefined && rightSeed.timestamp > t) this.createRightWindow(record, rightSeed);
    if (previous !== undefined && !starts.has(previous + 1)) {
      this.update(record, { start: previous + 1, end: previous + 1 + d }, this.empty(t), closeTime);
    }
    if (combined === undefined) this.update(record, { start: 0, end: d }, this.empty(t), closeTime);
    else this.update(record, combined, combined, closeTime);
  }

  private empty(timestamp: number): Seed<A> {
    return { value: this.initializer ? this.initializer() : undefined, timestamp };
  }

  /** Folds the record into `window` (seeded with `seed`) if the window is still open, stores and forwards it. */
  private update(record: StreamRecord<K, V>, window: Window, seed: Seed<A>, closeTime: number): void {
    if (window.end < closeTime) {
      this.late = true;
      return;
    }
    const aggregate = seed.value === undefined ? (record.value as unknown as A) : this.aggregator(record.key, record.value, seed.value);
    const timestamp = seed.value === undefined ? record.timestamp : Math.max(record.timestamp, seed.timestamp);
    this.store.put(record.key, window.start, aggregate, timestamp);
    this.forward(record, { start: window.start, end: window.end }, aggregate, timestamp);
  }

  /** The record's right window holds the later records only: a copy of the seed, without the record. */
  private createRightWindow(record: StreamRecord<K, V>, seed: ValueAndTimestamp<A>): void {
    const start = record.timestamp + 1;
    this.store.put(record.key, start, seed.value, seed.timestamp);
    this.forward(record, { start, end: start + this.differenceMs }, seed.value, seed.timestamp);
  }

  private forward(record: StreamRecord<K, V>, window: Window, value: A, timestamp: number): void {
    if (this.onClose !== undefined) return;
    this.context.forward({ key: { key: record.key, window }, value, timestamp, headers: record.headers }, this.outputs.resultChild);
  }
}
