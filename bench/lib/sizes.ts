// How big a run is: the full run of issue 9, or QUICK (make bench QUICK=1, under 5 minutes).
export interface Sizes {
  readonly quick: boolean;
  /** Input records of W1–W3 (and the perf tools). */
  readonly records: number;
  /** Records of the warm-up topic each system runs once before its measured repetitions (0: no warm-up). */
  readonly warmupRecords: number;
  readonly reps: number;
  /** W2/W3 key space. */
  readonly keys: number;
  /** W4: keys of the store restored. */
  readonly restoreKeys: number;
  /** W5: how long records are sent at the fixed rate, per repetition, and how many repetitions. */
  readonly latencyMs: number;
  readonly latencyReps: number;
  readonly latencyRate: number;
  /** W6: keys of the store whose peak RSS is measured. */
  readonly memoryKeys: number;
  /** W8: how long each stage is held once the group settled, and the input rate of the whole run. */
  readonly scaleOutStageMs: number;
  readonly scaleOutRate: number;
  /** W7: keys of the failing-over task's store, and the input rate into its one partition. */
  readonly failoverKeys: number;
  readonly failoverRate: number;
}

export function sizesFor(quick: boolean, overrides: Partial<Sizes> = {}): Sizes {
  const base: Sizes = quick
    ? { quick, records: 100_000, warmupRecords: 0, reps: 2, keys: 100_000, restoreKeys: 200_000, latencyMs: 8_000, latencyReps: 1, latencyRate: 5_000, memoryKeys: 1_000_000, scaleOutStageMs: 10_000, scaleOutRate: 2_000, failoverKeys: 100_000, failoverRate: 1_000 }
    : { quick, records: 1_000_000, warmupRecords: 100_000, reps: 3, keys: 100_000, restoreKeys: 1_000_000, latencyMs: 30_000, latencyReps: 3, latencyRate: 5_000, memoryKeys: 10_000_000, scaleOutStageMs: 20_000, scaleOutRate: 2_000, failoverKeys: 1_000_000, failoverRate: 1_000 };
  return { ...base, ...overrides };
}
