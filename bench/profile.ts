// Profiles Weir on one workload: loads an input topic, runs `weir run --until-end` under `node --cpu-prof`,
// prints the measured rate and the functions with the most self time.
//   node bench/profile.ts [--workload w1-map-filter.ts] [--guarantee at_least_once] [--records 300000] [--top 30]
// Needs KAFKA_BOOTSTRAP_SERVERS (scripts/with-services.sh). The .cpuprofile stays in bench/results/ (git-ignored)
// for a flame graph (Chrome DevTools, speedscope).
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { BenchContext } from "./lib/context.ts";
import { selfTimes } from "./lib/cpuprofile.ts";
import { loadTopic } from "./lib/load.ts";
import { perSecond } from "./lib/measure.ts";
import { inputRecord } from "./lib/records.ts";
import { sizesFor } from "./lib/sizes.ts";
import { repoRoot, runWeirBounded } from "./lib/weir.ts";

const { values: args } = parseArgs({
  options: {
    workload: { type: "string", default: "w1-map-filter.ts" },
    guarantee: { type: "string", default: "at_least_once" },
    records: { type: "string", default: "300000" },
    top: { type: "string", default: "30" },
    "no-profile": { type: "boolean", default: false },
  },
});
const brokers = (process.env.KAFKA_BOOTSTRAP_SERVERS ?? "").split(",").filter(Boolean);
if (brokers.length === 0) throw new Error("KAFKA_BOOTSTRAP_SERVERS is not set");
const records = Number(args.records);
const ctx = new BenchContext(brokers, sizesFor(true, { records }));
const dir = join(repoRoot, "bench/results");
const prefix = `profile-${ctx.runId}`;
try {
  const input = await ctx.topic("profile-input");
  const output = await ctx.topic("profile-output");
  const shape = { keys: 100_000, partitions: 6, baseTime: Date.now() - 11 * 60_000, spanMs: 10 * 60_000, count: records };
  await loadTopic(brokers, input, records, (i) => inputRecord(i, shape));
  const guarantee = args.guarantee === "exactly_once" ? "exactly_once" : "at_least_once";
  const m = await runWeirBounded(
    {
      workload: args.workload,
      brokers,
      applicationId: `bench-profile-${ctx.runId}`,
      input,
      output,
      guarantee,
      nodeFlags: args["no-profile"] ? [] : ["--cpu-prof", "--cpu-prof-dir", dir, "--cpu-prof-name", `${prefix}.cpuprofile`],
    },
    records,
    30 * 60_000,
  );
  process.stdout.write(`${args.workload} ${guarantee}: ${Math.round(perSecond(m))} records/s (${records} in ${Math.round(m.ms)} ms), peak RSS ${Math.round((m.peakRssBytes ?? 0) / 2 ** 20)} MB, CPU ${Math.round(m.cpuMs ?? 0)} ms\n`);
  const file = readdirSync(dir).find((f) => f.startsWith(prefix));
  if (file) {
    const { totalMs, top } = selfTimes(join(dir, file), repoRoot);
    process.stdout.write(`profile ${join(dir, file)}: ${Math.round(totalMs)} ms sampled\n`);
    for (const t of top.slice(0, Number(args.top))) process.stdout.write(`${t.pct.toFixed(1).padStart(5)}%  ${t.ms.toFixed(0).padStart(6)} ms  ${t.fn}  ${t.where}\n`);
  }
} finally {
  await ctx.dropTopics();
}
