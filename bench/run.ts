// `make bench`: every workload of issue 9 against the broker in KAFKA_BOOTSTRAP_SERVERS, Weir on each of its
// Kafka clients (@platformatic/kafka, kafkajs), with the baselines measured in the same run; prints a table and
// writes bench/results/latest.{json,md}.
//   node bench/run.ts [--quick] [--only K,W1,W2,W3,W4,W5,W6,W7,W8,W9] [--records N] [--reps N] [--out DIR]
//                     [--shared-with "who else used the machine"]   (or BENCH_SHARED_WITH)
import { join } from "node:path";
import { parseArgs } from "node:util";
import { BenchContext } from "./lib/context.ts";
import { machineInfo } from "./lib/machine.ts";
import { MachineLoad } from "./lib/machine-load.ts";
import { printTable, writeReport } from "./lib/report.ts";
import type { WorkloadResult } from "./lib/results.ts";
import { sizesFor, type Sizes } from "./lib/sizes.ts";
import { w7 } from "./lib/failover-suite.ts";
import { w5 } from "./lib/latency-suite.ts";
import { w8 } from "./lib/scale-out-suite.ts";
import { w9 } from "./lib/partitions-suite.ts";
import { w4, w6 } from "./lib/state-suite.ts";
import { brokerCeiling, loadInputs, w1, w2, w3 } from "./lib/throughput-suite.ts";
import { kafkaStreamsAvailable, kafkaStreamsBuildDir } from "./baselines/kafka-streams.ts";
import { repoRoot } from "./lib/weir.ts";

const { values: args } = parseArgs({
  options: {
    quick: { type: "boolean", default: process.env.QUICK === "1" },
    only: { type: "string" },
    records: { type: "string" },
    reps: { type: "string" },
    out: { type: "string", default: join(repoRoot, "bench/results") },
    "shared-with": { type: "string", default: process.env.BENCH_SHARED_WITH ?? "" },
  },
});

const bootstrap = process.env.KAFKA_BOOTSTRAP_SERVERS;
if (!bootstrap) {
  process.stderr.write("bench: KAFKA_BOOTSTRAP_SERVERS is not set: run `make bench` (it starts a local broker)\n");
  process.exit(2);
}
const overrides: Partial<Sizes> = {
  ...(args.records ? { records: Number(args.records) } : {}),
  ...(args.reps ? { reps: Number(args.reps) } : {}),
};
const sizes = sizesFor(args.quick, overrides);
// W7 (failover, four runs of a minute or more), W8 (scale-out, ~6 minutes of fixed-rate traffic) and W9 (three
// input sizes, ~18 runs) are left out of QUICK unless asked for (`--quick --only W7` runs W7 at its QUICK size).
const only = new Set((args.only ?? (args.quick ? "K,W1,W2,W3,W4,W5,W6" : "K,W1,W2,W3,W4,W5,W6,W7,W8,W9")).split(",").map((s) => s.trim().toUpperCase()));
const ctx = new BenchContext(bootstrap.split(","), sizes);
const machine = machineInfo();
const started = Date.now();
const load = new MachineLoad();
const wholeRun = load.mark();
if (!kafkaStreamsAvailable()) ctx.log(`Kafka Streams peer not built (${kafkaStreamsBuildDir()}): its rows are left out`);

const workloads: WorkloadResult[] = [];
/** Runs one workload and notes the machine's load while it ran. */
const measure = async (run: () => Promise<WorkloadResult>): Promise<void> => {
  const since = load.mark();
  const result = await run();
  workloads.push({ ...result, load: since() });
};
/** The same for a workload reported as several results (W7: one per standby count; W8: one per stage and rebalance). */
const measureAll = async (run: () => Promise<WorkloadResult[]>): Promise<void> => {
  const since = load.mark();
  const results = await run();
  const during = since();
  for (const result of results) workloads.push({ ...result, load: during });
};
try {
  // The loaded input topics of K, W1–W3 and W6 (W4, W5, W7 and W8 make their own).
  const inputs = ["K", "W1", "W2", "W3", "W6"].some((w) => only.has(w)) ? await loadInputs(ctx) : undefined;
  if (inputs && only.has("K")) await measure(() => brokerCeiling(ctx, inputs));
  if (inputs && only.has("W1")) {
    await measure(() => w1(ctx, inputs, "at_least_once"));
    await measure(() => w1(ctx, inputs, "exactly_once"));
  }
  if (inputs && only.has("W2")) {
    await measure(() => w2(ctx, inputs, 0));
    await measure(() => w2(ctx, inputs, 10 * 1024 * 1024));
  }
  if (inputs && only.has("W3")) await measure(() => w3(ctx, inputs));
  if (only.has("W4")) await measure(() => w4(ctx));
  if (only.has("W5")) {
    await measure(() => w5(ctx, "exactly_once"));
    await measure(() => w5(ctx, "at_least_once"));
  }
  if (inputs && only.has("W6")) await measure(() => w6(ctx, inputs.warmup ?? inputs.main));
  if (only.has("W7")) await measureAll(() => w7(ctx));
  if (only.has("W8")) await measureAll(() => w8(ctx));
  if (only.has("W9")) await measureAll(() => w9(ctx));
} finally {
  await ctx.dropTopics().catch((err: unknown) => ctx.log(`could not delete the benchmark's topics: ${(err as Error).message}`));
}

const runLoad = wholeRun();
load.stop();
const sharedWith = args["shared-with"].trim();
const report = {
  machine,
  sizes,
  sharedMachine:
    `The machine (${machine.cores} cores) was shared with other work during this run${sharedWith ? ` (${sharedWith})` : ""}: ` +
    `1-minute load average ${runLoad.loadAvg.mean.toFixed(1)} on average, up to ${runLoad.loadAvg.max.toFixed(1)}; all cores ${Math.round(runLoad.cpuBusyPct)}% busy ` +
    "(the benchmark and its broker included; each workload's own load is in the summary). Absolute figures are noisy; compare the ratios, which were measured in the same run.",
  load: runLoad,
  durationS: Math.round((Date.now() - started) / 1000),
  workloads,
};
writeReport(report, args.out);
process.stdout.write(`\n${printTable(workloads)}\n\nwritten: ${join(args.out, "latest.md")}, ${join(args.out, "latest.json")} (${report.durationS} s)\n`);
