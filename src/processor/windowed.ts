// A windowed key, as Kafka Streams' Windowed<K>: the record's key and the window it was aggregated in.

/**
 * A window in epoch milliseconds. For time windows `end` is exclusive ([start, end)); for sliding and
 * session windows it is inclusive ([start, end]), as in Kafka Streams.
 */
export interface Window {
  readonly start: number;
  readonly end: number;
}

export interface Windowed<K> {
  readonly key: K;
  readonly window: Window;
}

/** What every window kind tells aggregations and `suppress`. */
export interface WindowSpec {
  readonly graceMs: number;
  /** Sliding and session windows include their end; time windows do not. */
  readonly endInclusive: boolean;
}

/**
 * The stream time at which a window is closed: no record may change it any more, and `suppress` emits its
 * final result. Time windows [start, end) close at end + grace; windows that include their end close one
 * millisecond later, when end + grace < stream time.
 */
export function windowCloseTime(window: Window, spec: WindowSpec): number {
  return window.end + spec.graceMs + (spec.endInclusive ? 1 : 0);
}

