// Weir's restore alone, repeated on one changelog (a development loop for W4/W6; `bench/run.ts` is the benchmark):
//   node bench/restore-loop.ts --keys 1000000 --reps 3 [--count 100000] [--client platformatic] [--cpu-prof /tmp/prof]
// (--count N: each repetition then counts N W2 input records, from a topic of its own, into the restored store, as W6)
// (RESTORE_LOOP_NODE_FLAGS: more node flags for the weir process, e.g. "--import ./sample-memory.mjs")
// Needs KAFKA_BOOTSTRAP_SERVERS. Loads `<app>-counts-changelog` (the W4 bytes) once, then restores it into an
// empty state dir per repetition and prints records/s, CPU and peak RSS.
import { parseArgs } from "node:util";
import { BenchContext } from "./lib/context.ts";
import { loadTopic } from "./lib/load.ts";
import { perSecond } from "./lib/measure.ts";
import { countChangelogRecord, inputRecord } from "./lib/records.ts";
import { sizesFor } from "./lib/sizes.ts";
import { runWeirRestore, type WeirClient } from "./lib/weir.ts";

const { values: args } = parseArgs({
  options: {
    keys: { type: "string", default: "1000000" },
    reps: { type: "string", default: "3" },
    client: { type: "string", default: "platformatic" },
    count: { type: "string", default: "0" },
    "cpu-prof": { type: "string" },
  },
});
const brokers = (process.env.KAFKA_BOOTSTRAP_SERVERS ?? "").split(",").filter(Boolean);
if (brokers.length === 0) throw new Error("set KAFKA_BOOTSTRAP_SERVERS");
const keys = Number(args.keys);
const ctx = new BenchContext(brokers, sizesFor(true));
const appId = `bench-restore-loop-${ctx.runId}`;
try {
  const changelog = await ctx.createTopic(`${appId}-counts-changelog`, { config: { "cleanup.policy": "compact" } });
  const { ms } = await loadTopic(brokers, changelog, keys, (i) => countChangelogRecord(i, 6));
  console.log(`loaded ${keys} changelog records in ${Math.round(ms)} ms`);
  const output = await ctx.topic("restore-loop-out");
  const count = Number(args.count);
  for (let rep = 1; rep <= Number(args.reps); rep++) {
    const input = await ctx.topic(`restore-loop-input-${rep}`);
    if (count > 0) {
      const shape = { keys: ctx.sizes.keys, partitions: 6, baseTime: Date.now() - 3_600_000, spanMs: 3_600_000, count };
      await loadTopic(brokers, input, count, (i) => inputRecord(i, shape));
    }
    const nodeFlags = [...(args["cpu-prof"] ? ["--cpu-prof", `--cpu-prof-dir=${args["cpu-prof"]}`] : []), ...(process.env.RESTORE_LOOP_NODE_FLAGS ?? "").split(" ").filter(Boolean)];
    const run = await runWeirRestore(
      { workload: "w2-count.ts", brokers, applicationId: appId, input, output, guarantee: "exactly_once", kafkaClient: args.client as WeirClient, nodeFlags },
      30 * 60_000,
    );
    console.log(`rep ${rep}: ${run.records} records, ${Math.round(perSecond(run))} records/s, CPU ${Math.round(run.cpuMs ?? 0)} ms, peak RSS ${Math.round((run.peakRssBytes ?? 0) / 2 ** 20)} MB`);
  }
} finally {
  await ctx.dropTopics();
}
