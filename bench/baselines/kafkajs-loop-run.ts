// Runs bench/baselines/kafkajs-loop.ts as a child process and reads its JSON line.
import { join } from "node:path";
import { startChild, tailOf } from "../lib/child.ts";
import type { Measurement } from "../lib/measure.ts";
import { repoRoot } from "../lib/weir.ts";

export async function runKafkajsLoop(
  options: { brokers: readonly string[]; input: string; output: string; group: string; guarantee: "exactly_once" | "at_least_once" },
  timeoutMs: number,
): Promise<Measurement> {
  const run = startChild(process.execPath, [
    join(repoRoot, "bench/baselines/kafkajs-loop.ts"),
    "--brokers",
    options.brokers.join(","),
    "--input",
    options.input,
    "--output",
    options.output,
    "--group",
    options.group,
    "--guarantee",
    options.guarantee,
  ]);
  const code = await run.exited(timeoutMs);
  const line = run.stdout.find((l) => l.startsWith("{"));
  if (code !== 0 || !line) throw new Error(`kafkajs loop exited with ${code}:\n${tailOf(run)}`);
  const r = JSON.parse(line) as { startMs: number; endMs: number; records: number };
  return { records: r.records, ms: r.endMs - r.startMs, peakRssBytes: run.peakRss(), cpuMs: run.cpuMs() };
}
