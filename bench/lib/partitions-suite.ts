// W9: the cost of tasks. W2's count (exactly-once, 100 ms commits) on one instance reading an input of 6, 24
// and 96 partitions, the same records each time: throughput and CPU per record, peak RSS, the most sockets
// open at once, and the commit markers the run's transactions wrote (one per partition a transaction wrote to,
// output and changelog): the broker-side cost of committing. The work is the same at every size, so a system
// whose cost per record grows with the partitions pays for tasks rather than for records.
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { kafkaStreamsAvailable, runKafkaStreams } from "../baselines/kafka-streams.ts";
import { startChild } from "./child.ts";
import type { BenchContext } from "./context.ts";
import { loadTopic } from "./load.ts";
import type { Measurement } from "./measure.ts";
import { inputRecord } from "./records.ts";
import { ratioTargets, runThroughput, type SystemRunner, type WorkloadResult } from "./results.ts";
import { repoRoot, runWeirBounded, weirClients, weirSystem } from "./weir.ts";

export const partitionCounts = [6, 24, 96] as const;
const timeoutMs = 30 * 60_000;

/** The data directory of the broker scripts/kafka.sh runs, when the benchmark uses that one. */
function brokerDataDir(): string | undefined {
  const dir = join(process.env.WEIR_CACHE_DIR ?? join(repoRoot, ".cache"), "kafka-run", "data");
  return existsSync(dir) ? dir : undefined;
}

/**
 * Commit and abort markers in the partitions of `topics`, counted in the broker's log segments with Kafka's own
 * DumpLogSegments; undefined when the broker's files are not on this machine (a cluster given by
 * KAFKA_BOOTSTRAP_SERVERS) or the tool failed.
 */
async function controlBatches(topics: readonly string[]): Promise<number | undefined> {
  const data = brokerDataDir();
  if (!data) return undefined;
  const files: string[] = [];
  for (const dir of readdirSync(data)) {
    const topic = dir.slice(0, dir.lastIndexOf("-"));
    if (!topics.includes(topic)) continue;
    for (const f of readdirSync(join(data, dir))) if (f.endsWith(".log")) files.push(join(data, dir, f));
  }
  if (files.length === 0) return undefined;
  const run = startChild(join(repoRoot, "scripts/kafka.sh"), ["tool", "org.apache.kafka.tools.DumpLogSegments", "--files", files.join(",")]);
  const code = await run.exited(120_000);
  if (code !== 0) return undefined;
  return run.stdout.filter((l) => l.includes("isControl: true")).length;
}

/** A run's measurement with its peak sockets and, when countable, its commit markers per second. */
async function withTaskCosts(m: Measurement, topics: readonly string[]): Promise<Measurement> {
  const markers = await controlBatches(topics);
  return { ...m, extra: { "peak sockets": m.peakSockets ?? 0, ...(markers === undefined ? {} : { "commit markers/s": (markers / m.ms) * 1000 }) } };
}

async function loadInput(ctx: BenchContext, partitions: number): Promise<{ topic: string; records: number }> {
  const { records, keys } = ctx.sizes;
  const baseTime = Date.now() - 11 * 60_000;
  const topic = await ctx.topic(`w9-input-${partitions}`, { partitions });
  const shape = { keys, partitions, baseTime, spanMs: 10 * 60_000, count: records };
  const { ms } = await loadTopic(ctx.brokers, topic, records, (i) => inputRecord(i, shape));
  ctx.log(`loaded ${records} records into ${topic} (${partitions} partitions) in ${Math.round(ms)} ms`);
  return { topic, records };
}

function systems(ctx: BenchContext, partitions: number): SystemRunner[] {
  const runners: SystemRunner[] = [];
  for (const client of weirClients) {
    runners.push({
      system: weirSystem(client),
      run: async (input, records, label) => {
        const applicationId = `bench-w9-${partitions}-weir-${client}-${ctx.runId}-${label}`;
        const output = await ctx.topic(`w9-${partitions}-weir-${client}-${label}-out`);
        const m = await runWeirBounded({ workload: "w2-count.ts", brokers: ctx.brokers, applicationId, input, output, guarantee: "exactly_once", kafkaClient: client }, records, timeoutMs);
        return withTaskCosts(m, [output, `${applicationId}-counts-changelog`]);
      },
    });
  }
  if (kafkaStreamsAvailable()) {
    runners.push({
      system: "Kafka Streams",
      run: async (input, _records, label) => {
        const appId = `bench-w9-${partitions}-ks-${ctx.runId}-${label}`;
        const output = await ctx.topic(`w9-${partitions}-ks-${label}-out`);
        const m = await runKafkaStreams({ workload: "w2", guarantee: "exactly_once", brokers: ctx.brokers, appId, input, output }, timeoutMs);
        return withTaskCosts(m, [output, `${appId}-counts-changelog`]);
      },
    });
  }
  return runners;
}

/** One result per input size; Weir on each client against Kafka Streams, no warm-up, `reps` (at most 2) runs each. */
export async function w9(ctx: BenchContext): Promise<WorkloadResult[]> {
  const results: WorkloadResult[] = [];
  for (const partitions of partitionCounts) {
    const input = await loadInput(ctx, partitions);
    results.push(
      await runThroughput(
        {
          id: "W9",
          title: `count per key over ${ctx.sizes.keys.toLocaleString("en")} keys on one instance, input of ${partitions} partitions`,
          variant: `exactly_once, ${partitions} partitions`,
          systems: systems(ctx, partitions),
          input,
          reps: Math.min(2, ctx.sizes.reps),
          targets: ratioTargets([weirSystem("platformatic"), "Kafka Streams", 1]),
          notes: [
            "the same records at every size: a cost per record that grows with the partitions is the cost of tasks",
            "peak sockets: socket descriptors of the process (TCP connections and listeners), sampled every second",
            "commit markers/s: control records the run's transactions wrote into the output and changelog partitions (DumpLogSegments on the broker's files), per second of the run; one transaction writes one per partition it touched",
            "Kafka Streams runs with its record cache (10 MB, its default), Weir without (statestoreCacheMaxBytes 0, its default), unless WEIR_STATESTORE_CACHE_MAX_BYTES sets both",
          ],
        },
        (l) => ctx.log(l),
      ),
    );
  }
  // Issue 18: the cost of tasks must not grow faster than the work. The records are the same at every size, so
  // CPU per record at the most partitions over that at the fewest is the growth; 1.2× is the bound taken here.
  const cpu = (r: WorkloadResult) => {
    const s = r.systems.find((x) => x.system === weirSystem("platformatic"));
    return s?.status === "measured" ? s.metrics["CPU µs/record"]?.median : undefined;
  };
  const [fewest, most] = [results[0], results.at(-1)];
  if (fewest && most && fewest !== most) {
    const [a, b] = [cpu(fewest), cpu(most)];
    const value = a !== undefined && b !== undefined && a > 0 ? b / a : undefined;
    results[results.length - 1] = {
      ...most,
      targets: [
        ...most.targets,
        {
          system: weirSystem("platformatic"),
          text: `${weirSystem("platformatic")} CPU µs/record at ${partitionCounts.at(-1)} partitions ≤ 1.2× at ${partitionCounts[0]}`,
          value,
          met: value === undefined ? undefined : value <= 1.2,
        },
      ],
    };
  }
  return results;
}
