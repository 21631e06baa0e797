// Turns the results into the printed table and bench/results/latest.{json,md}.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { MachineInfo } from "./machine.ts";
import type { WorkloadResult } from "./results.ts";
import type { Sizes } from "./sizes.ts";
import type { Summary } from "./stats.ts";

export interface Report {
  readonly machine: MachineInfo;
  readonly sizes: Sizes;
  readonly sharedMachine: string;
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

/** One line per workload × system: the median, its range over the repetitions, the ratios and targets. */
export function tableRows(workloads: readonly WorkloadResult[]): string[][] {
  const rows: string[][] = [["workload", "guarantee", "system", "metric", "median (min–max, ±half spread)", "peak RSS MB", "ratio", "target"]];
  for (const w of workloads) {
    for (const s of w.systems) {
      const metricNames = Object.keys(s.metrics);
      const shown = s.status === "measured" ? (metricNames.length > 0 ? metricNames : [w.metric]) : [w.metric];
      for (const [i, metric] of shown.entries()) {
        const first = i === 0;
        const ratio = first && s.system === "Weir" ? Object.entries(w.ratios).map(([k, v]) => `${v.toFixed(2)}× ${k.replace("Weir / ", "")}`).join(", ") : "";
        const target =
          first && s.system === "Weir"
            ? w.targets.map((t) => `${t.text}: ${t.met === undefined ? "n/a" : t.met ? "met" : "not met"}`).join("; ")
            : "";
        rows.push([
          first ? `${w.id} ${w.title}` : "",
          first ? w.variant : "",
          first ? s.system : "",
          metric,
          s.status === "measured" ? cell(s.metrics[metric], metric) : `${s.status}${s.reason ? `: ${s.reason.split("\n")[0]}` : ""}`,
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
    `Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGb} GB, ${machine.os}; load average at start ${machine.loadAtStart}.`,
    `Versions: ${Object.entries(machine.versions).map(([k, v]) => `${k} ${v}`).join(", ")}.`,
    `Sizes: ${sizes.records.toLocaleString("en")} input records of ~200 bytes in 6 partitions, ${sizes.keys.toLocaleString("en")} keys; ` +
      `${sizes.warmupRecords > 0 ? `a warm-up run of ${sizes.warmupRecords.toLocaleString("en")} records per system, then ` : "no warm-up, "}` +
      `${sizes.reps} measured repetitions (W5: ${sizes.latencyReps} of ${sizes.latencyMs / 1000} s); W4 ${sizes.restoreKeys.toLocaleString("en")} keys, W6 ${sizes.memoryKeys.toLocaleString("en")} keys.`,
    "",
    `| ${rows[0]!.join(" | ")} |`,
    `|${rows[0]!.map(() => "---").join("|")}|`,
    ...rows.slice(1).map((r) => `| ${r.map((c) => c.replace(/\|/g, "\\|").replace(/\n/g, " ")).join(" | ")} |`),
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
