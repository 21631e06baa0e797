// Runs a Weir topology of bench/workloads/ through the real runtime: `weir run <module> --until-end` as a
// child process, measured from its JSON logs (pino's `time`, epoch ms). Weir runs as a user's service runs it:
// the built package (dist/cli/weir.js) and the workload compiled to JavaScript, without the `weir-source`
// condition. Node's type stripping of the sources cost each process ~28 MB of RSS at startup (~10 MB of W6's peak)
// and CPU, which a service running the published package does not pay (bench/README.md, "W6 on the built package").
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { startChild, tailOf, type ChildRun } from "./child.ts";
import type { Measurement } from "./measure.ts";
import { memoryLimit } from "./memory-limit.ts";

export const repoRoot = resolve(import.meta.dirname, "../..");

let built = false;

/** Builds dist/ (unless it is newer than its sources) and compiles bench/workloads/ into bench/.build/workloads/. */
export function buildWeir(): void {
  if (built) return;
  execFileSync(process.execPath, [join(repoRoot, "scripts/build.ts")], { stdio: "inherit" });
  const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
  execFileSync(process.execPath, [tsc, "-p", join(repoRoot, "bench/tsconfig.workloads.json")], { stdio: "inherit" });
  built = true;
}

/** NODE_OPTIONS without `--conditions=weir-source`, which would make the workload's `weir-streams` the sources. */
function withoutSourceCondition(options: string | undefined): string {
  return (options ?? "").split(/\s+/).filter((o) => o !== "" && o !== "--conditions=weir-source").join(" ");
}

/** Weir's Kafka clients (the `kafkaClient` setting, WEIR_KAFKA_CLIENT): every workload runs Weir on each. */
export type WeirClient = "platformatic" | "kafkajs";
export const weirClients: readonly WeirClient[] = ["platformatic", "kafkajs"];
/** The system's name in the results: "Weir (platformatic)", "Weir (kafkajs)". */
export const weirSystem = (client: WeirClient): string => `Weir (${client})`;
export const isWeirSystem = (system: string): boolean => system.startsWith("Weir");

export interface WeirRunOptions {
  /** A module of bench/workloads/, e.g. "w1-map-filter.ts". */
  readonly workload: string;
  readonly brokers: readonly string[];
  readonly applicationId: string;
  readonly input: string;
  readonly output: string;
  readonly guarantee: "exactly_once" | "at_least_once";
  /** Weir's Kafka client (WEIR_KAFKA_CLIENT); the runtime's default when unset. */
  readonly kafkaClient?: WeirClient;
  /** Kept across runs when given (W4 restores into a fresh one each run: leave it unset). */
  readonly stateDir?: string;
  /** Bounded (`--until-end`) unless false. */
  readonly untilEnd?: boolean;
  /** `weir run --workers n`: one service of n member processes (CPU and RSS are the whole tree's). */
  readonly workers?: number;
  /** Extra node flags, e.g. --cpu-prof. */
  readonly nodeFlags?: readonly string[];
  readonly env?: Record<string, string>;
  /** Runs the process in a memory cgroup of this many bytes (a container's memory limit; needs root). */
  readonly memoryLimitBytes?: number;
}

interface LogLine {
  readonly msg?: string;
  readonly time?: number;
  readonly restored?: number;
}

export function startWeir(options: WeirRunOptions): { run: ChildRun; stateDir: string; cleanup: () => void } {
  buildWeir();
  const stateDir = options.stateDir ?? mkdtempSync(join(tmpdir(), "weir-bench-"));
  const args = [
    ...(options.nodeFlags ?? []),
    join(repoRoot, "dist/cli/weir.js"),
    "run",
    join(repoRoot, "bench/.build/workloads", options.workload.replace(/\.ts$/, ".js")),
    "--application-id",
    options.applicationId,
    "--processing-guarantee",
    options.guarantee,
    "--state-dir",
    stateDir,
    "--bootstrap-servers",
    options.brokers.join(","),
    ...(options.untilEnd === false ? [] : ["--until-end"]),
    ...(options.workers === undefined ? [] : ["--workers", String(options.workers)]),
  ];
  const limit = options.memoryLimitBytes === undefined ? undefined : memoryLimit(`weir-bench-${options.applicationId}-${Date.now()}`, options.memoryLimitBytes);
  const { command, args: commandArgs } = limit ? limit.wrap(process.execPath, args) : { command: process.execPath, args };
  const run = startChild(command, commandArgs, {
    NODE_OPTIONS: withoutSourceCondition(process.env.NODE_OPTIONS),
    BENCH_INPUT: options.input,
    BENCH_OUTPUT: options.output,
    WEIR_HTTP_ENABLED: "false",
    WEIR_LOG_LEVEL: "info",
    ...(options.kafkaClient ? { WEIR_KAFKA_CLIENT: options.kafkaClient } : {}),
    ...options.env,
  }, repoRoot);
  const cleanup = () => {
    limit?.remove();
    if (!options.stateDir) rmSync(stateDir, { recursive: true, force: true });
  };
  return { run, stateDir, cleanup };
}

export function logLines(run: ChildRun): LogLine[] {
  const out: LogLine[] = [];
  for (const line of run.stderr) {
    if (!line.startsWith("{")) continue;
    try {
      out.push(JSON.parse(line) as LogLine);
    } catch {
      // not a log line
    }
  }
  return out;
}

/** A bounded run: from the first task running to "bounded run reached the end offsets". */
export async function runWeirBounded(options: WeirRunOptions, records: number, timeoutMs: number): Promise<Measurement> {
  const { run, cleanup } = startWeir(options);
  try {
    const code = await run.exited(timeoutMs);
    if (code !== 0) throw new Error(`weir exited with ${code}:\n${tailOf(run)}`);
    const logs = logLines(run);
    const start = logs.find((l) => l.msg === "task running")?.time;
    const end = logs.find((l) => l.msg === "bounded run reached the end offsets noted at start")?.time;
    if (start === undefined || end === undefined) throw new Error(`weir did not log its start and end:\n${tailOf(run)}`);
    return { records, ms: end - start, peakRssBytes: run.peakRss(), cpuMs: run.cpuMs(), peakSockets: run.peakSockets() };
  } finally {
    cleanup();
  }
}

/** A restore: from the first "restore started" to the last "restore done", records summed over the stores. */
export async function runWeirRestore(options: WeirRunOptions, timeoutMs: number): Promise<Measurement> {
  const { run, cleanup } = startWeir(options);
  try {
    const code = await run.exited(timeoutMs);
    if (code !== 0) throw new Error(`weir exited with ${code}:\n${tailOf(run)}`);
    const logs = logLines(run);
    const started = logs.filter((l) => l.msg === "restore started").map((l) => l.time ?? 0);
    const done = logs.filter((l) => l.msg === "restore done");
    if (started.length === 0 || done.length === 0) throw new Error(`weir logged no restore:\n${tailOf(run)}`);
    const records = done.reduce((sum, l) => sum + (l.restored ?? 0), 0);
    return { records, ms: Math.max(...done.map((l) => l.time ?? 0)) - Math.min(...started), peakRssBytes: run.peakRss(), cpuMs: run.cpuMs() };
  } finally {
    cleanup();
  }
}
