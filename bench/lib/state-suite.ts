// W4 (restore rate of a store from its changelog) and W6 (peak RSS with a large store). The changelog is
// written directly (string keys in hash order, int64 counts, in each system's value layout), then
// the count app (bench/workloads/w2-count.ts, its store "counts") starts on an empty state dir and restores it.
import { kafkaStreamsAvailable, runKafkaStreams } from "../baselines/kafka-streams.ts";
import type { BenchContext } from "./context.ts";
import { loadTopic } from "./load.ts";
import type { Measurement } from "./measure.ts";
import { perSecond } from "./measure.ts";
import { countChangelogRecord } from "./records.ts";
import { allTargets, boundTarget, cpuPerRecord, finish, mb, ratioTargets, systemResult, type WorkloadResult } from "./results.ts";
import { summarize } from "./stats.ts";
import { runWeirRestore, weirClients, weirSystem, type WeirRunOptions } from "./weir.ts";

const timeoutMs = 30 * 60_000;
const memoryLimitBytes = 2 ** 30;
const limitedSystem = `${weirSystem("platformatic")}, 1 GiB memory limit`;

/** Creates `<appId>-counts-changelog` (compacted, 6 partitions) holding `keys` keys, in `format`'s value layout. */
async function changelogFor(ctx: BenchContext, appId: string, keys: number, format: "weir" | "kafka-streams" = "weir"): Promise<void> {
  const topic = await ctx.createTopic(`${appId}-counts-changelog`, { config: { "cleanup.policy": "compact" } });
  const { ms } = await loadTopic(ctx.brokers, topic, keys, (i) => countChangelogRecord(i, 6, format));
  ctx.log(`loaded ${keys} changelog records into ${topic} in ${Math.round(ms)} ms`);
}

/** One restore of the count app (`applicationId`'s changelog) into an empty state dir, exactly-once, then `input` counted. */
function countRestore(ctx: BenchContext, applicationId: string, input: string, output: string, more: Partial<WeirRunOptions>): () => Promise<Measurement> {
  const options: WeirRunOptions = { workload: "w2-count.ts", brokers: ctx.brokers, applicationId, input, output, guarantee: "exactly_once", ...more };
  return () => runWeirRestore(options, timeoutMs);
}

export async function w4(ctx: BenchContext): Promise<WorkloadResult> {
  const keys = ctx.sizes.restoreKeys;
  const input = await ctx.topic("w4-input");
  const output = await ctx.topic("w4-out");
  const systems: { system: string; run: () => Promise<Measurement> }[] = [];
  // Each system restores its own copy of the same changelog (its application id names it), in its own layout.
  for (const client of weirClients) {
    const appId = `bench-w4-weir-${client}-${ctx.runId}`;
    await changelogFor(ctx, appId, keys);
    systems.push({ system: weirSystem(client), run: countRestore(ctx, appId, input, output, { kafkaClient: client }) });
  }
  if (kafkaStreamsAvailable()) {
    const ksApp = `bench-w4-ks-${ctx.runId}`;
    await changelogFor(ctx, ksApp, keys, "kafka-streams");
    systems.push({ system: "Kafka Streams", run: () => runKafkaStreams({ workload: "w4", guarantee: "exactly_once", brokers: ctx.brokers, appId: ksApp, input, output }, timeoutMs) });
  }
  const { runs, failed } = await repeat(ctx, "W4", systems, ctx.sizes.warmupRecords > 0, ctx.sizes.reps);
  const results = systems.map(({ system }) =>
    systemResult(system, runs.get(system)!, failed.get(system), (measured) => ({
      metrics: { "records/s": summarize(measured.map(perSecond)), "CPU µs/record": summarize(measured.map(cpuPerRecord)) },
      peakRssMb: summarize(measured.map((m) => mb(m.peakRssBytes))),
    })),
  );
  return finish(
    "W4",
    `restore a ${keys.toLocaleString("en")}-key store from its changelog (empty state dir)`,
    "exactly_once",
    "records/s",
    true,
    results,
    // Issue 13: ≥ 200,000 records/s; issue 18: ≥ 1.0× Kafka Streams and ≥ 600,000 records/s.
    allTargets(
      boundTarget(weirSystem("platformatic"), "≥ 200,000 records/s", 200_000, true),
      boundTarget(weirSystem("platformatic"), "≥ 600,000 records/s", 600_000, true),
      ratioTargets([weirSystem("platformatic"), "Kafka Streams", 1]),
    ),
    ["from the first restore started to the last restore done (Weir's logs; Kafka Streams' StateRestoreListener), 6 changelog partitions"],
  );
}

export async function w6(ctx: BenchContext, warmupInput: { topic: string; records: number } | undefined): Promise<WorkloadResult> {
  const keys = ctx.sizes.memoryKeys;
  const input = warmupInput ?? { topic: await ctx.topic("w6-input"), records: 0 };
  const output = await ctx.topic("w6-out");
  // A changelog per system: the first run of an app counts the input into its store (and changelog); the
  // repetitions after it restore that and find the input committed. Each is one bounded process that restores
  // the store into an empty state dir, then counts the input records into it and exits; its peak RSS over the
  // whole run is the figure.
  const systems: { system: string; run: () => Promise<Measurement> }[] = [];
  for (const client of weirClients) {
    const applicationId = `bench-w6-weir-${client}-${ctx.runId}`;
    await changelogFor(ctx, applicationId, keys);
    systems.push({ system: weirSystem(client), run: countRestore(ctx, applicationId, input.topic, output, { kafkaClient: client }) });
  }
  // The default client again, in the memory limit the shipped StatefulSet gives a pod (deploy/kubernetes): V8 sizes
  // its young generation from the memory it is given, 128 MB on this 24 GiB machine, 32 MB in 1 GiB.
  const limitedId = `bench-w6-weir-limited-${ctx.runId}`;
  await changelogFor(ctx, limitedId, keys);
  systems.push({ system: limitedSystem, run: countRestore(ctx, limitedId, input.topic, output, { memoryLimitBytes }) });
  if (kafkaStreamsAvailable()) {
    const appId = `bench-w6-ks-${ctx.runId}`;
    await changelogFor(ctx, appId, keys, "kafka-streams");
    systems.push({ system: "Kafka Streams", run: () => runKafkaStreams({ workload: "w6", guarantee: "exactly_once", brokers: ctx.brokers, appId, input: input.topic, output }, timeoutMs) });
  }
  const { runs, failed } = await repeat(ctx, "W6", systems, false, ctx.sizes.reps);
  const results = [...runs].map(([system, list]) =>
    systemResult(system, list, failed.get(system), (measured) => ({
      metrics: {
        // The highest of the runs, not their median: only the first restores and then counts the input into
        // the store (the others find it committed and only restore), and the target is for the whole of it.
        "peak RSS MB": summarize([Math.max(...measured.map((m) => mb(m.peakRssBytes)))]),
        "restore records/s": summarize(measured.map(perSecond)),
        "CPU µs/record": summarize(measured.map(cpuPerRecord)),
      },
    })),
  );
  return finish(
    "W6",
    `peak RSS with a ${keys.toLocaleString("en")}-key store (restored, then ${input.records.toLocaleString("en")} records counted into it)`,
    "exactly_once",
    "peak RSS MB",
    false,
    results,
    // Issue 13: ≤ 400 MB; issue 18: ≤ 300 MB (and Kafka Streams' measured beside it).
    allTargets(
      boundTarget(weirSystem("platformatic"), "peak RSS ≤ 400 MB", 400, false),
      boundTarget(weirSystem("platformatic"), "peak RSS ≤ 300 MB", 300, false),
      boundTarget(limitedSystem, "peak RSS ≤ 300 MB", 300, false),
    ),
    [
      "VmHWM of the process, sampled from /proc every 200 ms, the highest of the runs (the first run restores and then counts the input; the others only restore); CPU µs/record: the whole process's CPU per restored record",
      `${limitedSystem}: the default client and settings, the process in a memory cgroup of 1 GiB (the shipped StatefulSet's limit; needs root), its own changelog of the same keys`,
      "Kafka Streams: the same app as W4's peer, its changelog of the same keys and counts (8-byte values), RocksDB with Kafka Streams' defaults, a JVM started with -Xms256m -Xmx1g (as in every workload)",
    ],
  );
}

/**
 * Runs each system `reps` times (after a warm-up run, not kept, when `warmup`), in turn; a system that fails (or
 * restores nothing) is not run again. Returns each system's measurements and the failures' first lines.
 */
async function repeat(
  ctx: BenchContext,
  id: string,
  systems: readonly { system: string; run: () => Promise<Measurement> }[],
  warmup: boolean,
  reps: number,
): Promise<{ runs: Map<string, Measurement[]>; failed: Map<string, string> }> {
  const runs = new Map<string, Measurement[]>(systems.map((s) => [s.system, []]));
  const failed = new Map<string, string>();
  for (let rep = warmup ? 0 : 1; rep <= reps; rep++) {
    for (const s of systems) {
      if (failed.has(s.system)) continue;
      try {
        const m = await s.run();
        if (m.records === 0) throw new Error("it restored no records");
        if (rep > 0) runs.get(s.system)!.push(m);
        ctx.log(`${id}: ${s.system} ${rep === 0 ? "warm-up" : `run ${rep}/${reps}`}: ${Math.round(perSecond(m))} records/s (${m.records} in ${Math.round(m.ms)} ms, peak RSS ${Math.round(mb(m.peakRssBytes))} MB)`);
      } catch (err) {
        failed.set(s.system, (err as Error).message.split("\n").slice(0, 12).join("\n"));
        ctx.log(`${id}: ${s.system} failed: ${failed.get(s.system)}`);
      }
    }
  }
  return { runs, failed };
}
