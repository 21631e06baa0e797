// EmitStrategy.onWindowClose (KIP-825): a windowed aggregation that forwards each window's aggregate once,
// when the window closes, read from its own store, instead of every update (no suppress buffer). The close
// time is the one rule of windowed.ts (windowCloseTime). Emission runs before a record is folded in, while
// the store's clock is still the previous record's, so a window stream time jumps past is not yet expired.
import type { WindowStore } from "../state/types.ts";
import type { WindowedOutputs } from "./late-records.ts";
import type { ProcessorContext } from "./processor.ts";
import type { Headers } from "./record.ts";
import type { Windowed } from "./windowed.ts";

/** How a windowed aggregation emits: every update (default), or each window's final result when it closes. */
export interface EmitStrategy {
  readonly onWindowClose: boolean;
}

export const EmitStrategy = {
  /** Every update of a window goes downstream as it happens (the default). */
  onWindowUpdate: (): EmitStrategy => ({ onWindowClose: false }),
  /** One result per window, when stream time reaches its close (end + grace; see windowCloseTime). */
  onWindowClose: (): EmitStrategy => ({ onWindowClose: true }),
};

/**
 * Emits the windows of a window store (time and sliding windows) whose close time stream time has reached.
 * `closeAfterStartMs` is close time − window start: size + grace (time windows), difference + grace + 1
 * (sliding windows, which include their end). Its clock is the store's stream time (the largest record
 * timestamp folded in), so after a restart it starts where the committed store ends: a window emitted in a
 * committed transaction is not emitted again.
 */
export class WindowCloseEmitter {
  private readonly closeAfterStartMs: number;
  private readonly outputs: WindowedOutputs;
  /** Stream time up to which closed windows have been emitted; undefined until the first record (then the store's). */
  private emittedUpTo: number | undefined;

  constructor(closeAfterStartMs: number, outputs: WindowedOutputs) {
    this.closeAfterStartMs = closeAfterStartMs;
    this.outputs = outputs;
  }

  /** Before a record at `timestamp` is folded in: forwards the windows closed by stream time max(store's, timestamp). */
  emitBefore<K, A>(context: ProcessorContext<Windowed<K>, A>, store: WindowStore<K, A>, timestamp: number, headers: Headers): void {
    const storeTime = store.observedStreamTimeMs();
    const from = this.emittedUpTo ?? storeTime;
    const to = Math.max(storeTime, timestamp);
    if (to <= from) return;
    this.emittedUpTo = to;
    const c = this.closeAfterStartMs;
    // Windows whose close time (start + c) is in (from, to].
    const lowest = Math.max(0, from - c + 1);
    const highest = to - c;
    if (highest < lowest) return;
    // By window start, then key (the scan's order within a start), as Kafka Streams' time-ordered store emits them.
    const closed = [...store.fetchAll(lowest, highest)].sort((x, y) => x.start - y.start);
    for (const w of closed) {
      context.forward({ key: { key: w.key, window: { start: w.start, end: w.end } }, value: w.value, timestamp: w.timestamp, headers }, this.outputs.resultChild);
    }
  }
}
