// The aggregation of tumbling and hopping time windows (Kafka Streams' KStreamWindowAggregate): each
// record updates every window it falls into that is still open, stores the aggregate with the window's
// largest record timestamp, and forwards the update keyed by Windowed<K>.
import type { WindowStore } from "../state/types.ts";
import type { Aggregator, Initializer } from "./aggregate.ts";
import { dropLate, hasKey, type WindowedOutputs } from "./late-records.ts";
import type { Processor, ProcessorContext } from "./processor.ts";
import type { StreamRecord } from "./record.ts";
import type { Window, Windowed } from "./windowed.ts";
import type { WindowCloseEmitter } from "./emit-on-close.ts";
import { ObservedStreamTime, type StateResetAware } from "./observed-stream-time.ts";

/** What the processor needs of TimeWindows. */
export interface TimeWindowAssigner {
  readonly graceMs: number;
  windowsFor(timestamp: number): Window[];
}

export class TimeWindowAggregateProcessor<K, V, A> implements Processor<K, V, Windowed<K>, A>, StateResetAware {
  private readonly windows: TimeWindowAssigner;
  private readonly initializer: Initializer<A> | undefined;
  private readonly aggregator: Aggregator<K, V, A>;
  private readonly outputs: WindowedOutputs;
  private context!: ProcessorContext<Windowed<K>, A>;
  private store!: WindowStore<K, A>;
  /** EmitStrategy.onWindowClose: results leave only when their window closes. */
  private readonly onClose: WindowCloseEmitter | undefined;
  private readonly streamTime = new ObservedStreamTime(() => this.store.observedStreamTimeMs());

  /** Without an initializer the first value of a window is its aggregate (reduce). */
  constructor(windows: TimeWindowAssigner, initializer: Initializer<A> | undefined, aggregator: Aggregator<K, V, A>, outputs: WindowedOutputs, onClose?: WindowCloseEmitter) {
    this.windows = windows;
    this.initializer = initializer;
    this.aggregator = aggregator;
    this.outputs = outputs;
    this.onClose = onClose;
  }

  init(context: ProcessorContext<Windowed<K>, A>): void {
    this.context = context;
    this.store = context.getStateStore<WindowStore<K, A>>(this.outputs.store);
  }

  stateReset(): void {
    this.streamTime.reset();
  }

  process(record: StreamRecord<K, V>): void {
    if (!hasKey(this.context as ProcessorContext<unknown, unknown>, record)) return;
    const key = record.key;
    const timestamp = record.timestamp;
    this.onClose?.emitBefore(this.context, this.store, timestamp, record.headers);
    // A window [start, end) is open while end > stream time − grace (Kafka Streams' windowCloseTime), the
    // aggregation's own stream time (observed-stream-time.ts): records it never saw close nothing.
    const closeTime = this.streamTime.observe(timestamp) - this.windows.graceMs;
    let late = false;
    for (const window of this.windows.windowsFor(timestamp)) {
      if (window.end <= closeTime) {
        late = true;
        continue;
      }
      const old = this.store.fetch(key, window.start);
      let aggregate: A;
      let windowTimestamp = timestamp;
      if (old !== undefined) {
        aggregate = this.aggregator(key, record.value, old.value);
        windowTimestamp = Math.max(timestamp, old.timestamp);
      } else if (this.initializer) {
        aggregate = this.aggregator(key, record.value, this.initializer());
      } else {
        aggregate = record.value as unknown as A;
      }
      this.store.put(key, window.start, aggregate, windowTimestamp);
      if (this.onClose === undefined) this.context.forward({ key: { key, window }, value: aggregate, timestamp: windowTimestamp, headers: record.headers }, this.outputs.resultChild);
    }
    // A hopping window's record may be late for its oldest windows only: it is counted (and sent to the
    // late-records topic) once, though the newer windows took it.
    if (late) dropLate(this.context as ProcessorContext<unknown, unknown>, this.outputs, record);
  }
}
