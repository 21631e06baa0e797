// How busy the machine was while a workload ran: the 1-minute load average (sampled every 5 s) and the share
// of all cores busy from /proc/stat. On a machine shared with other work this is what the results file must
// say next to the figures; it counts the benchmark's own processes and its broker as well as everyone else's.
import { readFileSync } from "node:fs";
import { loadavg } from "node:os";
import type { LoadSummary } from "./results.ts";

interface CpuTimes {
  readonly busy: number;
  readonly total: number;
}

function cpuTimes(): CpuTimes {
  try {
    // "cpu  user nice system idle iowait irq softirq steal ...", in clock ticks, all cores together.
    const fields = readFileSync("/proc/stat", "utf8").split("\n")[0]!.trim().split(/\s+/).slice(1).map(Number);
    const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
    const total = fields.slice(0, 8).reduce((a, b) => a + b, 0);
    return { busy: total - idle, total };
  } catch {
    return { busy: 0, total: 0 };
  }
}

export class MachineLoad {
  private readonly samples: { at: number; load: number }[] = [];
  private readonly timer: NodeJS.Timeout;

  constructor(intervalMs = 5000) {
    this.sample();
    this.timer = setInterval(() => this.sample(), intervalMs).unref();
  }

  private sample(): void {
    this.samples.push({ at: Date.now(), load: loadavg()[0] ?? 0 });
  }

  /** Starts a measurement; the function it returns summarizes the load since then. */
  mark(): () => LoadSummary {
    const from = Date.now();
    const cpuFrom = cpuTimes();
    return () => {
      this.sample();
      const cpuTo = cpuTimes();
      const loads = this.samples.filter((s) => s.at >= from).map((s) => s.load);
      const round = (n: number) => Math.round(n * 100) / 100;
      return {
        loadAvg: { mean: round(loads.reduce((a, b) => a + b, 0) / Math.max(1, loads.length)), max: round(Math.max(0, ...loads)) },
        cpuBusyPct: cpuTo.total > cpuFrom.total ? Math.round(((cpuTo.busy - cpuFrom.busy) / (cpuTo.total - cpuFrom.total)) * 1000) / 10 : 0,
        seconds: Math.round((Date.now() - from) / 1000),
      };
    };
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
