// Turns the results into the printed table and bench/results/latest.{json,md}.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { MachineInfo } from "./machine.ts";
import type { LoadSummary, WorkloadResult } from "./results.ts";
import { isWeirSystem } from "./weir.ts";
import type { Sizes } from "./sizes.ts";
import type { Summary } from "./stats.ts";

export interface Report {
  readonly machine: MachineInfo;
  readonly sizes: Sizes;
  /** Who else used the machine during the run, and the load measured over the whole run. */
  readonly sharedMachine: string;
  readonly load?: LoadSummary;
  readonly durationS: number;
  readonly workloads: readonly WorkloadResult[];
}

function fmt(n: number, metric: string): string {
  if (!Number.isFinite(n)) return "–";
  if (metric.endsWith("records/s")) return Math.round(n).toLocaleString("en");
  return n >= 100 ? Math.round(n).toLocaleString("en") : n.toFixed(1);
}

function cell(s: Summary | undefined, metric: string): string {
  if (!s) return "–";
  return `${fmt(s.median, metric)} (${fmt(s.min, metric)}–${fmt(s.max, metric)}, ±${Math.round(s.spreadPct / 2)}%)`;
}

function targetState(t: { value: number | undefined; met: boolean | undefined }): string {
  if (t.met === undefined) return "n/a";
  return `${t.met ? "met" : "not met"} (${t.value! >= 100 ? Math.round(t.value!) : t.value!.toFixed(2)})`;
}

function median(w: WorkloadResult, system: string, metric: string): number | undefined {
  const s = w.systems.find((x) => x.system === system);
  return s?.status === "measured" ? s.metrics[metric]?.median : undefined;
}

/**
 * One line per workload: the main metric of Weir on each client, Kafka Streams and the other baseline, the
 * ratios that matter (platformatic over kafkajs, each over Kafka Streams) and CPU per record.
 */
export function summaryRows(workloads: readonly WorkloadResult[]): string[][] {
  const weirs = [...new Set(workloads.flatMap((w) => w.systems.map((s) => s.system).filter(isWeirSystem)))];
  const [first, second] = weirs;
  const rows: string[][] = [
    ["workload", "metric", ...weirs, "Kafka Streams", "other baseline", ...(second ? [`${first} / ${second}`] : []), ...weirs.map((w) => `${w} / Kafka Streams`), `CPU µs/record: ${[...weirs, "Kafka Streams"].join(" / ")}`, "records per CPU-second, same order", "machine load (1-min avg, mean)"],
  ];
  for (const w of workloads) {
    if (w.id === "K") continue;
    const others = w.systems.filter((s) => !isWeirSystem(s.system) && s.system !== "Kafka Streams" && s.status === "measured");
    const show = (v: number | undefined) => (v === undefined ? "–" : fmt(v, w.metric));
    const ratio = (key: string) => (w.ratios[key] === undefined ? "–" : `${w.ratios[key].toFixed(2)}×`);
    const cpu = [...weirs, "Kafka Streams"].map((s) => median(w, s, "CPU µs/record"));
    rows.push([
      `${w.id} ${w.variant}`,
      w.metric,
      ...weirs.map((s) => show(median(w, s, w.metric))),
      show(median(w, "Kafka Streams", w.metric)),
      others.map((o) => `${o.system} ${show(o.metrics[w.metric]?.median)}`).join(", ") || "–",
      ...(second ? [ratio(`${first} / ${second}`)] : []),
      ...weirs.map((s) => ratio(`${s} / Kafka Streams`)),
      cpu.every((c) => c === undefined) ? "–" : cpu.map((c) => (c === undefined ? "–" : c.toFixed(1))).join(" / "),
      cpu.every((c) => c === undefined) ? "–" : cpu.map((c) => (c === undefined || c <= 0 ? "–" : Math.round(1e6 / c).toLocaleString("en"))).join(" / "),
      w.load ? `${w.load.loadAvg.mean.toFixed(1)} (max ${w.load.loadAvg.max.toFixed(1)}), CPU ${Math.round(w.load.cpuBusyPct)}% busy` : "–",
    ]);
  }
  return rows;
}

function mdTable(rows: readonly string[][]): string[] {
  return [
    `| ${rows[0]!.join(" | ")} |`,
    `|${rows[0]!.map(() => "---").join("|")}|`,
    ...rows.slice(1).map((r) => `| ${r.map((c) => c.replace(/\|/g, "\\|").replace(/\n/g, " ")).join(" | ")} |`),
  ];
}

/** One line per workload × system: the median, its range over the repetitions, the ratios and targets. */
export function tableRows(workloads: readonly WorkloadResult[]): string[][] {
  const rows: string[][] = [["workload", "guarantee", "system", "metric", "median (min–max, ±half spread)", "peak RSS MB", "ratio", "target"]];
  for (const w of workloads) {
    for (const s of w.systems) {
      const metricNames = Object.keys(s.metrics);
      const shown = s.status === "measured" ? (metricNames.length > 0 ? metricNames : [w.metric]) : [w.metric];
      for (const [i, metric] of shown.entries()) {
        const first = i === 0;
        const prefix = `${s.system} / `;
        const ratio = first
          ? Object.entries(w.ratios)
              .filter(([k]) => k.startsWith(prefix))
              .map(([k, v]) => `${v.toFixed(2)}× ${k.slice(prefix.length)}`)
              .join(", ")
          : "";
        const target = first
          ? w.targets
              .filter((t) => t.system === s.system)
              .map((t) => `${t.text.slice(s.system.length + 1)}: ${targetState(t)}`)
              .join("; ")
          : "";
        rows.push([
          first ? `${w.id} ${w.title}` : "",
          first ? w.variant : "",
          first ? s.system : "",
          metric,
          s.status === "measured"
            ? `${cell(s.metrics[metric], metric)}${s.reason ? ` (not every run: ${s.reason.split("\n")[0]})` : ""}`
            : `${s.status}${s.reason ? `: ${s.reason.split("\n")[0]}` : ""}`,
          first && s.peakRssMb ? Math.round(s.peakRssMb.median).toString() : "",
          ratio,
          target,
        ]);
      }
    }
  }
  return rows;
}

export function printTable(workloads: readonly WorkloadResult[]): string {
  const rows = tableRows(workloads).map((r) => r.map((c) => (c.length > 60 ? `${c.slice(0, 57)}...` : c)));
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join("  ").trimEnd()).join("\n");
}

export function markdown(report: Report): string {
  const { machine, sizes } = report;
  const rows = tableRows(report.workloads);
  const md = [
    "# Weir benchmark results",
    "",
    `Measured ${machine.date} by \`make bench${sizes.quick ? " QUICK=1" : ""}\` (${Math.round(report.durationS / 60)} min). How to read and reproduce: [bench/README.md](../README.md).`,
    "",
    `**${report.sharedMachine}**`,
    "",
    `Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGb} GB, ${machine.os}; load average at start ${machine.loadAtStart}` +
      (report.load ? `; over the run: 1-minute load average mean ${report.load.loadAvg.mean.toFixed(2)}, max ${report.load.loadAvg.max.toFixed(2)}, all cores ${Math.round(report.load.cpuBusyPct)}% busy (this benchmark, its broker and everyone else's work).` : "."),
    `Versions: ${Object.entries(machine.versions).map(([k, v]) => `${k} ${v}`).join(", ")}.`,
    `Sizes: ${sizes.records.toLocaleString("en")} input records of ~200 bytes in 6 partitions, ${sizes.keys.toLocaleString("en")} keys; ` +
      `${sizes.warmupRecords > 0 ? `a warm-up run of ${sizes.warmupRecords.toLocaleString("en")} records per system, then ` : "no warm-up, "}` +
      `${sizes.reps} measured repetitions (W5: ${sizes.latencyReps} of ${sizes.latencyMs / 1000} s); W4 ${sizes.restoreKeys.toLocaleString("en")} keys, W6 ${sizes.memoryKeys.toLocaleString("en")} keys; W8 ${(sizes.scaleOutRate ?? 0).toLocaleString("en")} records/s into 12 partitions, each stage held ${(sizes.scaleOutStageMs ?? 0) / 1000} s; W7 a ${(sizes.failoverKeys ?? 0).toLocaleString("en")}-key store, ${(sizes.failoverRate ?? 0).toLocaleString("en")} records/s into 1 partition.`,
    "",
    "## Summary",
    "",
    ...mdTable(summaryRows(report.workloads)),
    "",
    "## Targets",
    "",
    ...report.workloads.flatMap((w) => w.targets.map((t) => `- ${w.id} ${w.variant}: ${t.text}: **${targetState(t)}**`)),
    "",
    "## Every system, every metric",
    "",
    ...mdTable(rows),
    "",
    "Ratios are Weir's median over the other system's: higher is better for records/s, lower for latency and memory.",
    "",
    "Notes:",
    ...new Set(report.workloads.flatMap((w) => w.notes.map((n) => `- ${w.id}: ${n}`))),
    "",
  ];
  return md.join("\n");
}

export function writeReport(report: Report, dir: string): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "latest.json"), `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(join(dir, "latest.md"), markdown(report));
}
