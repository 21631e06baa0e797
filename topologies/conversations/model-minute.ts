// Per-model per-minute aggregates of assistant turns: the window's accumulator (with a fixed-bucket latency
// histogram, so it stays small however many requests a minute holds) and the final record written per window.
import { costMicroUsd, type ChatEvent } from "./chat.ts";

/** Inclusive upper bounds (ms) of the latency histogram's buckets; one more bucket holds everything slower. */
export const latencyBucketBoundsMs: readonly number[] = [250, 500, 1000, 2000, 4000, 8000, 16000, 32000];

export interface ModelMinuteAggregate {
  readonly requests: number;
  readonly errors: number;
  readonly tokensIn: number;
  readonly tokensOut: number;
  readonly costMicroUsd: number;
  readonly latencySumMs: number;
  /** Counts per bucket of `latencyBucketBoundsMs`, then the overflow bucket. */
  readonly latencyBuckets: readonly number[];
  readonly maxLatencyMs: number;
  readonly thumbsUp: number;
  readonly thumbsDown: number;
}

/** What `model-minute-stats` carries for one model and one minute, once the minute has closed. */
export interface ModelMinuteStats {
  readonly model: string;
  readonly windowStartMs: number;
  readonly windowEndMs: number;
  readonly requests: number;
  readonly errors: number;
  readonly errorRate: number;
  readonly tokensIn: number;
  readonly tokensOut: number;
  readonly costMicroUsd: number;
  /** Rounded to the millisecond. */
  readonly meanLatencyMs: number;
  /** The histogram's estimate: the upper bound of the bucket holding the nearest-rank 95th percentile, at most the maximum. */
  readonly p95LatencyMs: number;
  readonly thumbsUp: number;
  readonly thumbsDown: number;
  /** thumbsDown / (thumbsUp + thumbsDown); null when no request of the minute was rated. */
  readonly negativeFeedbackRate: number | null;
}

export function emptyModelMinute(): ModelMinuteAggregate {
  return {
    requests: 0,
    errors: 0,
    tokensIn: 0,
    tokensOut: 0,
    costMicroUsd: 0,
    latencySumMs: 0,
    latencyBuckets: new Array<number>(latencyBucketBoundsMs.length + 1).fill(0),
    maxLatencyMs: 0,
    thumbsUp: 0,
    thumbsDown: 0,
  };
}

/** Folds one assistant turn into its model's minute. */
export function addRequest(event: ChatEvent, agg: ModelMinuteAggregate): ModelMinuteAggregate {
  const latency = event.latencyMs ?? 0;
  const bucket = bucketOf(latency);
  return {
    requests: agg.requests + 1,
    errors: agg.errors + (event.error !== undefined ? 1 : 0),
    tokensIn: agg.tokensIn + event.tokensIn,
    tokensOut: agg.tokensOut + event.tokensOut,
    costMicroUsd: agg.costMicroUsd + costMicroUsd(event),
    latencySumMs: agg.latencySumMs + latency,
    latencyBuckets: agg.latencyBuckets.map((n, i) => (i === bucket ? n + 1 : n)),
    maxLatencyMs: Math.max(agg.maxLatencyMs, latency),
    thumbsUp: agg.thumbsUp + (event.feedback === "up" ? 1 : 0),
    thumbsDown: agg.thumbsDown + (event.feedback === "down" ? 1 : 0),
  };
}

export function finalStats(model: string, window: { readonly start: number; readonly end: number }, agg: ModelMinuteAggregate): ModelMinuteStats {
  const rated = agg.thumbsUp + agg.thumbsDown;
  return {
    model,
    windowStartMs: window.start,
    windowEndMs: window.end,
    requests: agg.requests,
    errors: agg.errors,
    errorRate: agg.requests === 0 ? 0 : agg.errors / agg.requests,
    tokensIn: agg.tokensIn,
    tokensOut: agg.tokensOut,
    costMicroUsd: agg.costMicroUsd,
    meanLatencyMs: agg.requests === 0 ? 0 : Math.round(agg.latencySumMs / agg.requests),
    p95LatencyMs: histogramP95(agg),
    thumbsUp: agg.thumbsUp,
    thumbsDown: agg.thumbsDown,
    negativeFeedbackRate: rated === 0 ? null : agg.thumbsDown / rated,
  };
}

function bucketOf(latencyMs: number): number {
  const i = latencyBucketBoundsMs.findIndex((bound) => latencyMs <= bound);
  return i === -1 ? latencyBucketBoundsMs.length : i;
}

/** The bucket holding the ⌈0.95 · n⌉-th smallest latency, reported as its upper bound capped by the maximum seen. */
function histogramP95(agg: ModelMinuteAggregate): number {
  const rank = Math.ceil((95 * agg.requests) / 100);
  let seen = 0;
  for (let i = 0; i < agg.latencyBuckets.length; i++) {
    seen += agg.latencyBuckets[i]!;
    if (seen >= rank) return Math.min(latencyBucketBoundsMs[i] ?? agg.maxLatencyMs, agg.maxLatencyMs);
  }
  return agg.maxLatencyMs;
}
