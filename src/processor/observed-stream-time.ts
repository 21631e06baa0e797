// An operator's own stream time, Kafka Streams' per-processor `observedStreamTime`: the largest timestamp of the
// records it took, not the task's (which records that never reached it, a null key or one a filter dropped,
// move on). A windowed aggregation starts from its store's clock (the largest timestamp its windows hold,
// read back after a restart), so it closes nothing it closed before; then each input of a cogroup moves its
// own (Kafka Streams builds one aggregation processor per cogrouped input). The clock lives in memory: the
// task's rollback or restore (ProcessorGraph.stateReset) drops it, and it starts over from where the store
// went back to (docs/architecture.md, "Windows and stream time").

export class ObservedStreamTime {
  private readonly start: () => number;
  private time: number | undefined;

  /** `start`: where the clock starts, read when first needed after creation or a reset. */
  constructor(start: () => number) {
    this.start = start;
  }

  /** Moves the clock to `timestamp` if later; returns it. */
  observe(timestamp: number): number {
    const time = Math.max(this.time ?? this.start(), timestamp);
    this.time = time;
    return time;
  }

  /** The state behind it went back (rollback, restore): starts over. */
  reset(): void {
    this.time = undefined;
  }
}

/** Internal: a processor with in-memory state derived from its stores, dropped when they go back. */
export interface StateResetAware {
  stateReset(): void;
}

export function isStateResetAware(processor: object): processor is StateResetAware {
  return typeof (processor as Partial<StateResetAware>).stateReset === "function";
}
