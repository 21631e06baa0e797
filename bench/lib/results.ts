// The shape of bench/results/latest.json, and the runner of a throughput workload: a warm-up per system,
// then repetitions taken round-robin across systems, so that noise from other work on the machine falls
// on every system alike.
import type { Measurement } from "./measure.ts";
import { perSecond } from "./measure.ts";
import { summarize, type Summary } from "./stats.ts";
import { isWeirSystem } from "./weir.ts";

export interface SystemResult {
  readonly system: string;
  readonly status: "measured" | "not yet" | "failed";
  readonly reason?: string;
  /** Metric name (records/s, p50 ms, …) → its repetitions. */
  readonly metrics: Readonly<Record<string, Summary>>;
  readonly peakRssMb?: Summary;
}

export interface Target {
  /** The system the target is about (its row in the table). */
  readonly system: string;
  readonly text: string;
  readonly value: number | undefined;
  readonly met: boolean | undefined;
}

export interface WorkloadResult {
  readonly id: string;
  readonly title: string;
  readonly variant: string;
  /** The metric the table shows and the ratios compare. */
  readonly metric: string;
  readonly higherIsBetter: boolean;
  readonly systems: readonly SystemResult[];
  /** "Weir (platformatic) / Kafka Streams" → ratio of medians of `metric`. */
  readonly ratios: Readonly<Record<string, number>>;
  readonly targets: readonly Target[];
  readonly notes: readonly string[];
  /** The machine's load while this workload ran (set by run.ts). */
  readonly load?: LoadSummary;
}

export interface LoadSummary {
  /** 1-minute load average, sampled every 5 s. */
  readonly loadAvg: { readonly mean: number; readonly max: number };
  /** Share of all cores busy (from /proc/stat), the benchmark's own processes and broker included. */
  readonly cpuBusyPct: number;
  readonly seconds: number;
}

export interface SystemRunner {
  readonly system: string;
  /** Runs once on `input` (which holds `records` records); `label` makes application ids unique. */
  run(input: string, records: number, label: string): Promise<Measurement>;
}

export interface ThroughputSpec {
  readonly id: string;
  readonly title: string;
  readonly variant: string;
  readonly systems: readonly SystemRunner[];
  /** Systems shown without a measurement, and why (e.g. Weir's W3 before windows exist). */
  readonly notYet?: Readonly<Record<string, string>>;
  readonly input: { readonly topic: string; readonly records: number };
  readonly warmup?: { readonly topic: string; readonly records: number };
  readonly reps: number;
  readonly targets?: Targets;
  readonly notes?: readonly string[];
}

export const mb = (bytes: number | undefined) => (bytes ?? 0) / 2 ** 20;
/** CPU time of the whole process (startup included) per record: less sensitive than wall time to a busy machine. */
export const cpuPerRecord = (m: Measurement) => (m.records > 0 ? ((m.cpuMs ?? 0) * 1000) / m.records : 0);

export async function runThroughput(spec: ThroughputSpec, log: (line: string) => void): Promise<WorkloadResult> {
  const name = `${spec.id} ${spec.variant}`;
  const failed = new Map<string, string>();
  const runs = new Map<string, Measurement[]>(spec.systems.map((s) => [s.system, []]));
  const attempt = async (s: SystemRunner, topic: string, records: number, label: string): Promise<Measurement | undefined> => {
    if (failed.has(s.system)) return undefined;
    try {
      return await s.run(topic, records, label);
    } catch (err) {
      const reason = (err as Error).message.split("\n").slice(0, 12).join("\n");
      failed.set(s.system, reason);
      log(`${name}: ${s.system} failed: ${reason}`);
      return undefined;
    }
  };
  if (spec.warmup) {
    for (const s of spec.systems) {
      const m = await attempt(s, spec.warmup.topic, spec.warmup.records, "warmup");
      if (m) log(`${name}: ${s.system} warm-up ${Math.round(perSecond(m))} records/s`);
    }
  }
  for (let rep = 1; rep <= spec.reps; rep++) {
    for (const s of spec.systems) {
      const m = await attempt(s, spec.input.topic, spec.input.records, `r${rep}`);
      if (!m) continue;
      runs.get(s.system)!.push(m);
      log(`${name}: ${s.system} run ${rep}/${spec.reps}: ${Math.round(perSecond(m))} records/s (${m.records} in ${Math.round(m.ms)} ms, peak RSS ${Math.round(mb(m.peakRssBytes))} MB)`);
    }
  }
  const systems: SystemResult[] = spec.systems.map((s) =>
    systemResult(s.system, runs.get(s.system)!, failed.get(s.system), (measured) => ({
      metrics: {
        "records/s": summarize(measured.map(perSecond)),
        ...(measured.every((m) => m.cpuMs !== undefined) ? { "CPU µs/record": summarize(measured.map(cpuPerRecord)) } : {}),
        ...Object.fromEntries(
          Object.keys(measured[0]!.extra ?? {})
            .filter((name) => measured.every((m) => m.extra?.[name] !== undefined))
            .map((name) => [name, summarize(measured.map((m) => m.extra![name]!))]),
        ),
      },
      peakRssMb: summarize(measured.map((m) => mb(m.peakRssBytes))),
    })),
  );
  for (const [system, reason] of Object.entries(spec.notYet ?? {})) systems.push({ system, status: "not yet", reason, metrics: {} });
  return finish(spec.id, spec.title, spec.variant, "records/s", true, systems, spec.targets, spec.notes ?? []);
}

export function finish(
  id: string,
  title: string,
  variant: string,
  metric: string,
  higherIsBetter: boolean,
  systems: readonly SystemResult[],
  targets: Targets | undefined,
  notes: readonly string[],
): WorkloadResult {
  const medians = new Map<string, number>();
  for (const s of systems) {
    const m = s.metrics[metric];
    if (s.status === "measured" && m) medians.set(s.system, m.median);
  }
  // Each Weir system over every other system, and the first Weir client (the default) over the second.
  const ratios: Record<string, number> = {};
  const names = [...medians.keys()];
  for (const [i, weir] of names.entries()) {
    if (!isWeirSystem(weir)) continue;
    for (const [j, other] of names.entries()) {
      const median = medians.get(other)!;
      if (i === j || (isWeirSystem(other) && j < i) || median <= 0) continue;
      ratios[`${weir} / ${other}`] = medians.get(weir)! / median;
    }
  }
  return { id, title, variant, metric, higherIsBetter, systems, ratios, targets: targets ? targets(medians) : [], notes };
}

/**
 * A system's result: "failed" with the first failure (or "no run") when it has no runs, else what `measure` makes
 * of them, with the failure as its reason when a run failed (the figures are then of fewer runs).
 */
export function systemResult<T>(
  system: string,
  runs: readonly T[],
  failure: string | undefined,
  measure: (runs: readonly T[]) => Pick<SystemResult, "metrics" | "peakRssMb">,
): SystemResult {
  if (runs.length === 0) return { system, status: "failed", reason: failure ?? "no run", metrics: {} };
  return { system, status: "measured", ...(failure === undefined ? {} : { reason: failure }), ...measure(runs) };
}

export type Targets = (medians: ReadonlyMap<string, number>) => Target[];

/** Targets of the form "system ≥ factor × baseline" on the medians. */
export function ratioTargets(...specs: readonly (readonly [system: string, baseline: string, factor: number])[]): Targets {
  return (medians) =>
    specs.map(([system, baseline, factor]) => {
      const weir = medians.get(system);
      const base = medians.get(baseline);
      const value = weir !== undefined && base ? weir / base : undefined;
      return { system, text: `${system} ≥ ${factor.toFixed(1)}× ${baseline}`, value, met: value === undefined ? undefined : value >= factor };
    });
}

/** A target on one system's median: at least (or at most) `bound`. */
export function boundTarget(system: string, text: string, bound: number, atLeast: boolean): Targets {
  return (medians) => {
    const value = medians.get(system);
    return [{ system, text: `${system} ${text}`, value, met: value === undefined ? undefined : atLeast ? value >= bound : value <= bound }];
  };
}

/** Several targets on one workload. */
export const allTargets =
  (...targets: readonly Targets[]): Targets =>
  (medians) =>
    targets.flatMap((t) => t(medians));
