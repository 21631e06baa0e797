// Profiles Weir under `node --cpu-prof` through the real runtime (`weir run --until-end` on a loaded input topic).
//   One workload, the functions with the most self time:
//     node bench/profile.ts [--workload w1-map-filter.ts] [--guarantee at_least_once] [--client platformatic|kafkajs]
//                           [--records 300000] [--top 30] [--no-profile] [--node-flags "--trace-gc ..."]
//   The CPU split (client / Weir / SQLite / other) of several workloads on both of Weir's clients, one table:
//     node bench/profile.ts --split [--workloads w1-eos,w2] [--records 300000] [--reps 1]
//   (`make bench-profile` runs the second with its own broker and writes bench/results/profile-split.md.)
// Needs KAFKA_BOOTSTRAP_SERVERS (scripts/with-services.sh). The .cpuprofile files stay in bench/results/
// (git-ignored) for a flame graph (Chrome DevTools, speedscope).
import { readdirSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { BenchContext } from "./lib/context.ts";
import { cpuSplit, selfTimes, splitLabels, type CpuSplit, type SplitCategory } from "./lib/cpuprofile.ts";
import { loadTopic } from "./lib/load.ts";
import { perSecond, type Measurement } from "./lib/measure.ts";
import { inputRecord } from "./lib/records.ts";
import { sizesFor } from "./lib/sizes.ts";
import { repoRoot, runWeirBounded, weirClients, type WeirClient } from "./lib/weir.ts";

const { values: args } = parseArgs({
  options: {
    workload: { type: "string", default: "w1-map-filter.ts" },
    guarantee: { type: "string", default: "at_least_once" },
    client: { type: "string" },
    records: { type: "string", default: "300000" },
    top: { type: "string", default: "30" },
    "no-profile": { type: "boolean", default: false },
    "node-flags": { type: "string", default: "" },
    split: { type: "boolean", default: false },
    workloads: { type: "string", default: "w1-eos,w2" },
    reps: { type: "string", default: "1" },
    out: { type: "string", default: join(repoRoot, "bench/results/profile-split.md") },
  },
});
const brokers = (process.env.KAFKA_BOOTSTRAP_SERVERS ?? "").split(",").filter(Boolean);
if (brokers.length === 0) throw new Error("KAFKA_BOOTSTRAP_SERVERS is not set");
const records = Number(args.records);
const ctx = new BenchContext(brokers, sizesFor(true, { records }));
const dir = join(repoRoot, "bench/results");
type Guarantee = "exactly_once" | "at_least_once";

/** The --split workloads: short name → module and guarantee. */
const splitWorkloads: Record<string, { module: string; guarantee: Guarantee; title: string }> = {
  "w1-alo": { module: "w1-map-filter.ts", guarantee: "at_least_once", title: "W1 map/filter, at-least-once" },
  "w1-eos": { module: "w1-map-filter.ts", guarantee: "exactly_once", title: "W1 map/filter, exactly-once" },
  w2: { module: "w2-count.ts", guarantee: "exactly_once", title: "W2 count, exactly-once, 100 ms commits" },
  w3: { module: "w3-windowed.ts", guarantee: "exactly_once", title: "W3 windowed sum + suppress, exactly-once" },
};

let runs = 0;
async function profileOnce(input: string, module: string, guarantee: Guarantee, client: WeirClient | undefined, profile: boolean): Promise<{ m: Measurement; file: string | undefined }> {
  const prefix = `profile-${ctx.runId}-${++runs}`;
  const output = await ctx.topic(`profile-output-${runs}`);
  const m = await runWeirBounded(
    {
      workload: module,
      brokers,
      applicationId: `bench-profile-${ctx.runId}-${runs}`,
      input,
      output,
      guarantee,
      ...(client ? { kafkaClient: client } : {}),
      nodeFlags: [...args["node-flags"].split(" ").filter(Boolean), ...(profile ? ["--cpu-prof", "--cpu-prof-dir", dir, "--cpu-prof-name", `${prefix}.cpuprofile`] : [])],
    },
    records,
    30 * 60_000,
  );
  return { m, file: readdirSync(dir).find((f) => f.startsWith(`${prefix}.`)) };
}

const pct = (part: number, whole: number) => (whole > 0 ? `${Math.round((part / whole) * 100)}%` : "–");

function splitTable(rows: { title: string; client: WeirClient; m: Measurement; split: CpuSplit }[]): string[] {
  const shown: SplitCategory[] = ["client", "weirKafkaAdapter", "weir", "sqlite", "app", "otherLibraries", "gc", "node"];
  const head = ["workload", "client", "records/s (profiled)", "busy CPU µs/record", "client", "Weir (adapter + rest)", "SQLite", "other (GC, Node/V8, libraries, topology fns)", ...shown.map((c) => splitLabels[c]), "idle share of profile"];
  const lines = [`| ${head.join(" | ")} |`, `|${head.map(() => "---").join("|")}|`];
  for (const { title, client, m, split } of rows) {
    const { ms, busyMs } = split;
    const weir = ms.weir + ms.weirKafkaAdapter;
    const other = ms.gc + ms.node + ms.otherLibraries + ms.app;
    lines.push(
      `| ${[
        title,
        client,
        Math.round(perSecond(m)).toLocaleString("en"),
        ((busyMs * 1000) / m.records).toFixed(1),
        `**${pct(ms.client, busyMs)}**`,
        `**${pct(weir, busyMs)}**`,
        `**${pct(ms.sqlite, busyMs)}**`,
        `**${pct(other, busyMs)}**`,
        ...shown.map((c) => pct(ms[c], busyMs)),
        pct(split.idleMs, split.idleMs + busyMs),
      ].join(" | ")} |`,
    );
  }
  return lines;
}

try {
  const input = await ctx.topic("profile-input");
  const shape = { keys: 100_000, partitions: 6, baseTime: Date.now() - 11 * 60_000, spanMs: 10 * 60_000, count: records };
  await loadTopic(brokers, input, records, (i) => inputRecord(i, shape));
  if (!args.split) {
    const guarantee: Guarantee = args.guarantee === "exactly_once" ? "exactly_once" : "at_least_once";
    const client = args.client === undefined ? undefined : (args.client as WeirClient);
    const { m, file } = await profileOnce(input, args.workload, guarantee, client, !args["no-profile"]);
    process.stdout.write(`${args.workload} ${guarantee} (${client ?? "default client"}): ${Math.round(perSecond(m))} records/s (${records} in ${Math.round(m.ms)} ms), peak RSS ${Math.round((m.peakRssBytes ?? 0) / 2 ** 20)} MB, CPU ${Math.round(m.cpuMs ?? 0)} ms\n`);
    if (file) {
      const { totalMs, top } = selfTimes(join(dir, file), repoRoot);
      process.stdout.write(`profile ${join(dir, file)}: ${Math.round(totalMs)} ms sampled\n`);
      for (const t of top.slice(0, Number(args.top))) process.stdout.write(`${t.pct.toFixed(1).padStart(5)}%  ${t.ms.toFixed(0).padStart(6)} ms  ${t.fn}  ${t.where}\n`);
    }
  } else {
    const started = Date.now();
    const load0 = loadavg()[0] ?? 0;
    const rows: { title: string; client: WeirClient; m: Measurement; split: CpuSplit }[] = [];
    for (const name of args.workloads.split(",").map((s) => s.trim())) {
      const w = splitWorkloads[name];
      if (!w) throw new Error(`--workloads: unknown ${name} (one of ${Object.keys(splitWorkloads).join(", ")})`);
      for (let rep = 1; rep <= Number(args.reps); rep++) {
        // Alternate which client goes first, so that a busy minute does not always fall on the same one.
        const order = rep % 2 === 1 ? weirClients : [...weirClients].reverse();
        for (const client of order) {
          const { m, file } = await profileOnce(input, w.module, w.guarantee, client, true);
          if (!file) throw new Error(`no .cpuprofile written for ${name} on ${client}`);
          const split = cpuSplit(join(dir, file), repoRoot);
          rows.push({ title: w.title, client, m, split });
          process.stderr.write(`profile: ${name} ${client} run ${rep}: ${Math.round(perSecond(m))} records/s, busy ${Math.round(split.busyMs)} ms, client ${pct(split.ms.client, split.busyMs)} (${file})\n`);
        }
      }
    }
    const md = [
      "# CPU profile split of Weir, both clients",
      "",
      `Measured ${new Date().toISOString()} by \`make bench-profile\` (\`node bench/profile.ts --split --workloads ${args.workloads} --records ${records} --reps ${args.reps}\`, ` +
        `${Math.round((Date.now() - started) / 1000)} s; 1-minute load average ${load0.toFixed(1)} at start, ${(loadavg()[0] ?? 0).toFixed(1)} at the end; machine shared with other work).`,
      `Each row: one \`weir run --until-end\` over ${records.toLocaleString("en")} input records under \`node --cpu-prof\` (the profiler slows it down: rates are lower than \`make bench\`'s).`,
      "Shares are of busy CPU (idle left out), each sample counted for the nearest frame on its stack in the client library, Weir's src/,",
      "better-sqlite3 or another package, so `Buffer` work and native calls count for the code that asked for them (see `cpuSplit` in bench/lib/cpuprofile.ts).",
      "",
      ...splitTable(rows),
      "",
    ].join("\n");
    writeFileSync(args.out, md);
    process.stdout.write(`${md}\nwritten: ${args.out}\n`);
  }
} finally {
  await ctx.dropTopics();
}
