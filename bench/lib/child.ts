// A benchmark child process (weir, the kafkajs loop, Kafka Streams, Kafka's perf tools): its output lines,
// its peak resident memory (VmHWM, sampled from /proc while it runs) and its exit, with a deadline.
import { spawn, type ChildProcess } from "node:child_process";
import { readdirSync, readFileSync, readlinkSync } from "node:fs";

export interface ChildRun {
  readonly child: ChildProcess;
  /** Lines of stdout and stderr so far (the newest 50,000 of each). */
  readonly stdout: string[];
  readonly stderr: string[];
  /** Peak RSS in bytes seen so far. */
  peakRss(): number;
  /** CPU time (user + system) in ms the process had used at the last sample (every 200 ms, and at exit). */
  cpuMs(): number;
  /** The most sockets (TCP connections, listeners) the process had open at once, sampled every second. */
  peakSockets(): number;
  /** Resolves when a line of stdout or stderr matches, or rejects when the child exits first. */
  waitForLine(test: (line: string) => boolean, timeoutMs: number): Promise<string>;
  /** Resolves with the exit code once the child exits; kills it (SIGKILL) and rejects after `timeoutMs`. */
  exited(timeoutMs: number): Promise<number>;
  /** SIGTERM, then SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<number>;
}

const running = new Set<ChildProcess>();
process.on("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

function vmHwm(pid: number): number {
  try {
    const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

// utime and stime, fields 14 and 15 of /proc/<pid>/stat, in clock ticks (100 per second on Linux), with cutime and
// cstime (16, 17: its children that exited and were waited for) and the live children's own: a `weir run --workers N`
// supervisor's figure is the whole service's.
function cpuTicks(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const own = Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]);
    return own + childPids(pid).reduce((sum, child) => sum + cpuTicks(child), 0);
  } catch {
    return 0;
  }
}

function childPids(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").split(" ").filter((p) => p.trim() !== "").map(Number);
  } catch {
    return [];
  }
}

/** VmHWM of the process plus its live children's: for a supervisor of workers, the sum of each process's peak (an upper bound of the service's). */
function treeHwm(pid: number): number {
  return vmHwm(pid) + childPids(pid).reduce((sum, child) => sum + treeHwm(child), 0);
}

// Open file descriptors that are sockets, from /proc/<pid>/fd.
function openSockets(pid: number): number {
  try {
    let count = 0;
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      try {
        if (readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith("socket:")) count++;
      } catch {
        // closed meanwhile
      }
    }
    return count;
  } catch {
    return 0;
  }
}

export function startChild(command: string, args: readonly string[], env: Record<string, string> = {}, cwd?: string): ChildRun {
  const child = spawn(command, args, { cwd, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...env } });
  running.add(child);
  const stdout: string[] = [];
  const stderr: string[] = [];
  const waiters = new Set<{ test: (line: string) => boolean; resolve: (line: string) => void }>();
  const collect = (into: string[]) => {
    let partial = "";
    return (chunk: string) => {
      const lines = (partial + chunk).split("\n");
      partial = lines.pop() ?? "";
      for (const line of lines) {
        into.push(line);
        for (const w of waiters) {
          if (w.test(line)) {
            waiters.delete(w);
            w.resolve(line);
          }
        }
      }
      if (into.length > 50_000) into.splice(0, into.length - 50_000);
    };
  };
  child.stdout.setEncoding("utf8").on("data", collect(stdout));
  child.stderr.setEncoding("utf8").on("data", collect(stderr));
  let peak = 0;
  let ticks = 0;
  let sockets = 0;
  let samples = 0;
  const sample = () => {
    peak = Math.max(peak, treeHwm(child.pid ?? 0));
    ticks = Math.max(ticks, cpuTicks(child.pid ?? 0));
    if (samples++ % 5 === 0) sockets = Math.max(sockets, openSockets(child.pid ?? 0));
  };
  const sampler = setInterval(sample, 200);
  // Best effort: by "exit" the process is usually reaped already, so the figures are those of the last tick.
  child.once("exit", sample);
  const exit = new Promise<number>((resolve) =>
    child.once("close", (code, signal) => {
      clearInterval(sampler);
      running.delete(child);
      resolve(code ?? (signal ? 128 : 1));
    }),
  );
  const tail = () => [...stderr.slice(-30), ...stdout.slice(-10)].join("\n");
  return {
    child,
    stdout,
    stderr,
    peakRss: () => Math.max(peak, child.exitCode === null ? treeHwm(child.pid ?? 0) : 0),
    cpuMs: () => ticks * 10,
    peakSockets: () => sockets,
    waitForLine: (test, timeoutMs) =>
      new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${command} ${args.join(" ")}: no expected line within ${timeoutMs} ms:\n${tail()}`)), timeoutMs);
        const waiter = { test, resolve: (line: string) => (clearTimeout(timer), resolve(line)) };
        waiters.add(waiter);
        void exit.then((code) => {
          if (!waiters.has(waiter)) return;
          clearTimeout(timer);
          reject(new Error(`${command} exited (${code}) before the expected line:\n${tail()}`));
        });
      }),
    exited: (timeoutMs) =>
      new Promise<number>((resolve, reject) => {
        const timer = setTimeout(() => {
          child.kill("SIGKILL");
          reject(new Error(`${command} ${args.join(" ")} did not finish within ${timeoutMs} ms:\n${tail()}`));
        }, timeoutMs);
        void exit.then((code) => (clearTimeout(timer), resolve(code)));
      }),
    stop: async (graceMs = 30_000) => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
      const code = await exit;
      clearTimeout(timer);
      return code;
    },
  };
}

/** The child's last output, for an error message. */
export function tailOf(run: ChildRun, lines = 30): string {
  // The first error lines too: a JVM's shutdown logs push the cause out of the tail.
  const errors = [...run.stderr, ...run.stdout].filter((l) => /\b(ERROR|FATAL|Exception)\b/.test(l)).slice(0, 10);
  return [...(errors.length > 0 ? ["(first error lines)", ...errors, "(last lines)"] : []), ...run.stderr.slice(-lines), ...run.stdout.slice(-10)].join("\n");
}
