// W5: end-to-end latency of the W1 topology at a fixed input rate, exactly-once and at-least-once, each
// repetition on fresh topics with the app already running (continuous mode, stopped with SIGTERM after).
import { kafkaStreamsAvailable, startKafkaStreams } from "../baselines/kafka-streams.ts";
import type { ChildRun } from "./child.ts";
import type { BenchContext } from "./context.ts";
import { measureLatency, type LatencyResult } from "./latency.ts";
import { allTargets, boundTarget, finish, systemResult, type WorkloadResult } from "./results.ts";
import { summarize } from "./stats.ts";
import { startWeir, weirClients, weirSystem, type WeirClient } from "./weir.ts";

type Guarantee = "exactly_once" | "at_least_once";

interface Started {
  readonly run: ChildRun;
  readonly cleanup: () => void;
}

function startSystem(ctx: BenchContext, system: string, guarantee: Guarantee, input: string, output: string, label: string): { started: Started; ready: Promise<unknown> } {
  const client = weirClients.find((c) => weirSystem(c) === system);
  if (client) {
    const started = startWeir({ workload: "w1-map-filter.ts", brokers: ctx.brokers, applicationId: `bench-w5-weir-${ctx.runId}-${label}`, input, output, guarantee, untilEnd: false, kafkaClient: client });
    let running = 0;
    return { started, ready: started.run.waitForLine((line) => line.includes('"msg":"task running"') && ++running === 6, 120_000) };
  }
  const started = startKafkaStreams({ workload: "w1", guarantee, brokers: ctx.brokers, appId: `bench-w5-ks-${ctx.runId}-${label}`, input, output, continuous: true });
  return { started, ready: started.run.waitForLine((line) => line.includes('"event":"running"'), 120_000) };
}

export async function w5(ctx: BenchContext, guarantee: Guarantee): Promise<WorkloadResult> {
  const { latencyMs, latencyReps, latencyRate } = ctx.sizes;
  const weirs = weirClients.map(weirSystem);
  const systems = kafkaStreamsAvailable() && !ctx.sizes.quick ? [...weirs, "Kafka Streams"] : weirs;
  const runs = new Map<string, LatencyResult[]>(systems.map((s) => [s, []]));
  const failed = new Map<string, string>();
  for (let rep = 1; rep <= latencyReps; rep++) {
    for (const system of systems) {
      if (failed.has(system)) continue;
      const client = weirClients.find((c): c is WeirClient => weirSystem(c) === system);
      const label = `${guarantee === "exactly_once" ? "eos" : "alo"}-${client ? `weir-${client}` : "ks"}-r${rep}`;
      const input = await ctx.topic(`w5-${label}-in`);
      const output = await ctx.topic(`w5-${label}-out`);
      const { started, ready } = startSystem(ctx, system, guarantee, input, output, label);
      try {
        await ready;
        const r = await measureLatency({ brokers: ctx.brokers, input, output, partitions: 6, recordsPerSecond: latencyRate, durationMs: latencyMs, warmupMs: Math.min(5000, latencyMs / 4) });
        runs.get(system)!.push(r);
        ctx.log(`W5 ${guarantee}: ${system} run ${rep}/${latencyReps}: p50 ${r.p50} ms, p99 ${r.p99} ms, p999 ${r.p999} ms (${r.measured} of ${r.sent} records measured)`);
      } catch (err) {
        failed.set(system, (err as Error).message.split("\n").slice(0, 12).join("\n"));
        ctx.log(`W5 ${guarantee}: ${system} failed: ${failed.get(system)}`);
      } finally {
        await started.run.stop();
        started.cleanup();
      }
    }
  }
  const results = systems.map((system) =>
    systemResult(system, runs.get(system)!, failed.get(system), (list) => ({
      metrics: {
        "p50 ms": summarize(list.map((r) => r.p50)),
        "p99 ms": summarize(list.map((r) => r.p99)),
        "p999 ms": summarize(list.map((r) => r.p999)),
      },
    })),
  );
  const commitInterval = guarantee === "exactly_once" ? 100 : undefined;
  return finish(
    "W5",
    `end-to-end latency of W1 at ${latencyRate.toLocaleString("en")} records/s for ${latencyMs / 1000} s`,
    guarantee,
    "p99 ms",
    false,
    results,
    // Issue 13: p99 ≤ commit interval + 50 ms; issue 18: + 20 ms.
    commitInterval === undefined
      ? undefined
      : allTargets(
          boundTarget(weirSystem("platformatic"), `p99 ≤ commit interval + 50 ms (${commitInterval + 50} ms)`, commitInterval + 50, false),
          boundTarget(weirSystem("platformatic"), `p99 ≤ commit interval + 20 ms (${commitInterval + 20} ms)`, commitInterval + 20, false),
        ),
    ["arrival at a read_committed consumer (fetch wait 100 ms) minus the send time in the record's value; the first seconds of each run are left out"],
  );
}
