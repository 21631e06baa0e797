// KTable.suppress (Kafka Streams' KTableSuppressProcessor): holds the latest update per key in a
// time-ordered buffer on SQLite and emits it once its time has come. `untilWindowCloses`: when stream
// time reaches the window's close (end + grace), exactly one final result per window. `untilTimeLimit`:
// the latest value of a key, a time limit after its first buffered update. The buffer has a changelog,
// and an eviction commits with the output it produced, so a final result is emitted once across crashes.
import type { TimeOrderedBuffer } from "../state/time-ordered-buffer.ts";
import type { Processor, ProcessorContext } from "./processor.ts";
import type { StreamRecord } from "./record.ts";
import { windowCloseTime, type Windowed, type WindowSpec } from "./windowed.ts";

export type SuppressMode = { readonly kind: "untilWindowCloses"; readonly windows: WindowSpec } | { readonly kind: "untilTimeLimit"; readonly timeLimitMs: number };

export class SuppressProcessor<K, V> implements Processor<K, V | null, K, V | null> {
  private readonly storeName: string;
  private readonly mode: SuppressMode;
  private context!: ProcessorContext<K, V | null>;
  private buffer!: TimeOrderedBuffer<K, V>;

  constructor(storeName: string, mode: SuppressMode) {
    this.storeName = storeName;
    this.mode = mode;
  }

  init(context: ProcessorContext<K, V | null>): void {
    this.context = context;
    this.buffer = context.getStateStore<TimeOrderedBuffer<K, V>>(this.storeName);
  }

  process(record: StreamRecord<K, V | null>): void {
    const now = this.context.currentStreamTimeMs();
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
      // A key keeps the time of its first buffered update, so a busy key is still emitted each time limit.
      time = this.buffer.get(record.key)?.time ?? record.timestamp + this.mode.timeLimitMs;
    }
    this.buffer.put({ key: record.key, value: record.value, timestamp: record.timestamp, time });
    this.emitDue(now);
  }

  private emitDue(now: number): void {
    for (const r of this.buffer.evictUpTo(now)) {
      // A final result that is a deletion (a session merged away) is not emitted: nothing was before it.
      if (r.value === null && this.mode.kind === "untilWindowCloses") continue;
      this.context.forward({ key: r.key, value: r.value, timestamp: r.timestamp, headers: {} });
    }
  }
}
