// W8 scale-out: W2's count (exactly-once, 100 ms commits) over a 12-partition input fed at a fixed rate for
// the whole run, by one instance, then two, three, two and one again (a new instance started, then SIGTERM to
// the newest). Per stage the output rate; per rebalance the longest pause of the partitions that stayed on
// their instance, from the append times of their output records.
import { kafkaStreamsAvailable, startKafkaStreams } from "../baselines/kafka-streams.ts";
import type { ChildRun } from "./child.ts";
import type { BenchContext } from "./context.ts";
import { finish, type WorkloadResult } from "./results.ts";
import { collectOutput, longestGap, ratePerSecond, startFeed, type OutputLog } from "./scale-out.ts";
import { summarize } from "./stats.ts";
import { logLines, startWeir, weirSystem } from "./weir.ts";

const partitions = 12;
/** Both systems: a member that vanishes without leaving is noticed after this long. */
const sessionTimeoutMs = 10_000;
/** A stage is settled once every partition has one owner and no member reported an assignment for this long. */
const quietMs = 3_000;
const settleTimeoutMs = 90_000;

interface Assignment {
  readonly time: number;
  readonly partitions: readonly number[];
}

interface Instance {
  readonly name: string;
  readonly run: ChildRun;
  /** Every assignment the instance reported, oldest first. */
  assignments(): Assignment[];
  readonly cleanup: () => void;
}

const partitionOf = (task: string): number => Number(task.slice(task.lastIndexOf("_") + 1));

function startInstance(ctx: BenchContext, system: string, appId: string, input: string, output: string, name: string): Instance {
  if (system === "Kafka Streams") {
    const { run, cleanup } = startKafkaStreams({ workload: "w8", guarantee: "exactly_once", brokers: ctx.brokers, appId, input, output, continuous: true, sessionTimeoutMs, standbyReplicas: 0 });
    // {"event":"tasks","time","active"} each time the instance enters RUNNING (BenchApp.java).
    const assignments = () =>
      run.stdout
        .filter((l) => l.startsWith('{"event":"tasks"'))
        .map((l) => JSON.parse(l) as { time: number; active: string[] })
        .map((a) => ({ time: a.time, partitions: a.active.map(partitionOf) }));
    return { name, run, assignments, cleanup };
  }
  const { run, cleanup } = startWeir({
    workload: "w2-count.ts",
    brokers: ctx.brokers,
    applicationId: appId,
    input,
    output,
    guarantee: "exactly_once",
    untilEnd: false,
    kafkaClient: "platformatic",
    env: { WEIR_SESSION_TIMEOUT_MS: String(sessionTimeoutMs) },
  });
  // Weir logs "tasks assigned" with the task ids after every rebalance.
  const assignments = () =>
    logLines(run)
      .filter((l) => l.msg === "tasks assigned")
      .map((l) => ({ time: l.time ?? 0, partitions: ((l as { tasks?: string[] }).tasks ?? []).map(partitionOf) }));
  return { name, run, assignments, cleanup };
}

/** Partition → the instance that last reported it at `time`, over the instances given. */
function ownersAt(instances: readonly Instance[], time: number): Map<number, string> {
  const owners = new Map<number, string>();
  for (const instance of instances) {
    const last = instance.assignments().filter((a) => a.time <= time).at(-1);
    for (const p of last?.partitions ?? []) owners.set(p, instance.name);
  }
  return owners;
}

/** Waits until each live instance reported an assignment since `since`, together owning every partition once, and none changed for quietMs. */
async function settled(live: readonly Instance[], since: number): Promise<{ at: number; timedOut: boolean }> {
  const deadline = Date.now() + settleTimeoutMs;
  for (;;) {
    await new Promise((r) => setTimeout(r, 250));
    const latest = live.map((i) => i.assignments().at(-1));
    const now = Date.now();
    const counts = new Map<number, number>();
    for (const a of latest) for (const p of a?.partitions ?? []) counts.set(p, (counts.get(p) ?? 0) + 1);
    const complete = counts.size === partitions && [...counts.values()].every((c) => c === 1);
    const fresh = latest.every((a) => a !== undefined && a.time >= since);
    const lastChange = Math.max(...latest.map((a) => a?.time ?? 0));
    if (complete && fresh && now - lastChange >= quietMs) return { at: lastChange, timedOut: false };
    if (now > deadline) return { at: now, timedOut: true };
    for (const i of live) if (i.run.child.exitCode !== null) throw new Error(`${i.name} exited (${i.run.child.exitCode}):\n${i.run.stderr.slice(-20).join("\n")}`);
  }
}

interface Stage {
  readonly label: string;
  /** The output rate over the stage's hold, after the group settled. */
  readonly recordsPerSecond: number;
  /** The longest gap between consecutive outputs of any partition within the hold: the pauses of steady state. */
  readonly steadyPauseMs: number;
  /** Partitions per instance once settled, e.g. "4+4+4". */
  readonly split: string;
}

interface Rebalance {
  readonly label: string;
  readonly keptPartitions: number;
  /** The longest output gap of a kept partition overlapping the rebalance (from the change to the group settled), in ms. */
  readonly keptPauseMs: number;
  /** When that gap began, in ms after the action. */
  readonly keptPauseAfterMs: number;
  /** The same from the times the outputs reached a read_committed consumer: how long they were not visible. */
  readonly keptVisiblePauseMs: number;
  readonly movedPauseMs: number;
  /** Assignments the instances reported between the action and the end of the hold (a follow-up rebalance shows here). */
  readonly assignmentsReported: number;
  readonly settleMs: number;
  readonly timedOut: boolean;
}

interface ScaleOutRun {
  readonly stages: Stage[];
  readonly rebalances: Rebalance[];
}

async function runScaleOut(ctx: BenchContext, system: string): Promise<ScaleOutRun> {
  const label = system === "Kafka Streams" ? "ks" : "weir";
  const input = await ctx.topic(`w8-${label}-in`, { partitions });
  const output = await ctx.topic(`w8-${label}-out`, { partitions, config: { "message.timestamp.type": "LogAppendTime" } });
  const appId = `bench-w8-${label}-${ctx.runId}`;
  const { scaleOutStageMs: holdMs, scaleOutRate: rate } = ctx.sizes;
  const collector: OutputLog = await collectOutput(ctx.brokers, output, partitions);
  const feed = await startFeed(ctx.brokers, input, partitions, ctx.sizes.keys, rate);
  const all: Instance[] = [];
  const live: Instance[] = [];
  const windows: { label: string; action: number; settled: number; declared: number; end: number; before: Instance[]; after: Instance[]; split: string; timedOut: boolean }[] = [];
  const step = async (stageLabel: string, act: () => void) => {
    const before = [...live];
    const action = Date.now();
    act();
    const s = await settled(live, action);
    // The rebalance is over (settled, and quiet since): the hold, steady state, begins.
    const declared = Date.now();
    const split = live.map((i) => i.assignments().at(-1)?.partitions.length ?? 0).join("+");
    ctx.log(`W8 ${system}: ${stageLabel}: settled ${((s.at - action) / 1000).toFixed(1)} s after the change${s.timedOut ? " (timed out)" : ""}, partitions per instance ${split}`);
    await new Promise((r) => setTimeout(r, holdMs));
    windows.push({ label: stageLabel, action, settled: Math.max(s.at, action), declared, end: Date.now(), before, after: [...live], split, timedOut: s.timedOut });
  };
  const start = (n: number) => () => {
    const instance = startInstance(ctx, system, appId, input, output, `instance ${n}`);
    all.push(instance);
    live.push(instance);
  };
  const stopNewest = () => {
    const instance = live.pop()!;
    void instance.run.stop();
  };
  try {
    await step("1 instance", start(1));
    await step("2 instances", start(2));
    await step("3 instances", start(3));
    await step("2 instances (3rd stopped)", stopNewest);
    await step("1 instance (2nd stopped)", stopNewest);
  } finally {
    await feed.stop().catch((err: unknown) => ctx.log(`W8 ${system}: ${(err as Error).message}`));
    // Let the output catch up: until nothing new arrives for 3 s.
    let last = -1;
    while (collector.received() !== last) {
      last = collector.received();
      await new Promise((r) => setTimeout(r, 3000));
    }
    await collector.stop();
    await Promise.all(all.map((i) => i.run.stop()));
    for (const i of all) i.cleanup();
  }
  const stages = windows.map((w) => ({
    label: w.label,
    recordsPerSecond: ratePerSecond(collector.times, w.declared, w.end),
    steadyPauseMs: Math.max(...collector.times.map((t) => longestGap(t.filter((x) => x >= w.declared), w.declared, w.end).ms)),
    split: w.split,
  }));
  const rebalances = windows.slice(1).map((w, i): Rebalance => {
    const before = ownersAt(w.before, w.action);
    const after = ownersAt(w.after, w.end);
    const kept = [...before.keys()].filter((p) => after.get(p) === before.get(p));
    const moved = [...Array(partitions).keys()].filter((p) => !kept.includes(p));
    // Kept partitions: gaps overlapping the rebalance, [change, settled and quiet]; moved ones: up to the hold's end.
    const gap = (ps: number[], to: number, times = collector.times) => ps.map((p) => longestGap(times[p]!, w.action, to, w.end)).reduce((x, y) => (y.ms > x.ms ? y : x), { ms: 0, from: w.action });
    const keptGap = gap(kept, w.declared);
    return {
      label: `${windows[i]!.label.split(" ")[0]}→${w.label.split(" ")[0]}`,
      keptPartitions: kept.length,
      keptPauseMs: keptGap.ms,
      keptPauseAfterMs: keptGap.from - w.action,
      keptVisiblePauseMs: gap(kept, w.declared, collector.arrivals).ms,
      movedPauseMs: gap(moved, w.end).ms,
      assignmentsReported: all.reduce((n, inst) => n + inst.assignments().filter((a) => a.time > w.action && a.time <= w.end).length, 0),
      settleMs: w.settled - w.action,
      timedOut: w.timedOut,
    };
  });
  ctx.log(`W8 ${system}: ${JSON.stringify({ stages, rebalances })}`);
  return { stages, rebalances };
}

/** W8 as one result per figure: each stage's output rate and each rebalance's longest kept-partition pause, Weir and Kafka Streams side by side. */
export async function w8(ctx: BenchContext): Promise<WorkloadResult[]> {
  const systems = [weirSystem("platformatic"), ...(kafkaStreamsAvailable() ? ["Kafka Streams"] : [])];
  const runs = new Map<string, ScaleOutRun>();
  const failed = new Map<string, string>();
  for (const system of systems) {
    try {
      runs.set(system, await runScaleOut(ctx, system));
    } catch (err) {
      failed.set(system, (err as Error).message.split("\n").slice(0, 12).join("\n"));
      ctx.log(`W8: ${system} failed: ${failed.get(system)}`);
    }
  }
  const title = `scale-out of W2 (12 partitions, ${ctx.sizes.scaleOutRate.toLocaleString("en")} records/s): 1 → 2 → 3 → 2 → 1 instances`;
  const describe = (system: string, r: ScaleOutRun) =>
    `${system}: partitions per instance ${r.stages.map((s) => s.split).join(" | ")}; per rebalance kept partitions, assignments reported, settled after: ` +
    r.rebalances.map((b) => `${b.label} ${b.keptPartitions} kept (longest pause from ${(b.keptPauseAfterMs / 1000).toFixed(1)} s after the change), ${b.assignmentsReported} reported, ${(b.settleMs / 1000).toFixed(1)} s${b.timedOut ? " (timed out)" : ""}, moved partitions' longest pause ${Math.round(b.movedPauseMs)} ms`).join("; ");
  const notes = [
    `a producer sends ${ctx.sizes.scaleOutRate.toLocaleString("en")} records/s over ${ctx.sizes.keys.toLocaleString("en")} keys to 12 partitions for the whole run; each change (start an instance, SIGTERM the newest) is followed by the group settling (every partition owned once, no new assignment for ${quietMs / 1000} s), then a ${ctx.sizes.scaleOutStageMs / 1000} s hold`,
    "a stage's records/s is the output records appended during its hold; the output topic has message.timestamp.type=LogAppendTime and is read read_committed, so a record's time is when the broker appended it, the same for both systems",
    `a rebalance's pause: for the partitions whose instance is the same before the change and at the end of the hold (Weir's "tasks assigned" logs; Kafka Streams' active tasks each time it enters RUNNING), the longest gap between consecutive outputs of each that overlaps the rebalance (from the change until the group settled and stayed quiet ${quietMs / 1000} s), counted whole from its start but not past the hold's end, max over them; compare it with the steady state's longest pause, the longest gap of any partition within a hold`,
    "the same pause from the times the outputs reached the read_committed consumer (fetch wait 100 ms): how long nothing of the partition became visible. Weir sends a task's outputs in its commit's transaction, so its append times are commit times; Kafka Streams sends them as it processes, within the open transaction, so its append times are processing times and its outputs become visible at the next commit",
    `session timeout ${sessionTimeoutMs / 1000} s on both, num.standby.replicas 0, Kafka Streams' default (cooperative) rebalancing and close() (a closed Kafka Streams instance does not leave the group: it is noticed at the session timeout)`,
    ...[...runs].map(([system, r]) => describe(system, r)),
  ];
  const results: WorkloadResult[] = [];
  const stageLabels = ["1 instance", "2 instances", "3 instances", "2 instances (3rd stopped)", "1 instance (2nd stopped)"];
  const rebalanceLabels = ["1→2", "2→3", "3→2", "2→1"];
  const row = (variant: string, metric: string, higherIsBetter: boolean, value: (r: ScaleOutRun) => number | undefined, withNotes: boolean) =>
    finish(
      "W8",
      title,
      variant,
      metric,
      higherIsBetter,
      systems.map((system) => {
        const r = runs.get(system);
        const v = r ? value(r) : undefined;
        return v === undefined ? { system, status: "failed" as const, reason: failed.get(system) ?? "no measurement", metrics: {} } : { system, status: "measured" as const, metrics: { [metric]: summarize([v]) } };
      }),
      undefined,
      withNotes ? notes : [],
    );
  for (const [i, stage] of stageLabels.entries()) results.push(row(`throughput, ${stage}`, "records/s", true, (r) => r.stages[i]?.recordsPerSecond, i === 0));
  for (const [i, stage] of stageLabels.entries()) results.push(row(`steady state's longest pause (any partition), ${stage}`, "pause ms", false, (r) => r.stages[i]?.steadyPauseMs, false));
  for (const [i, label] of rebalanceLabels.entries()) results.push(row(`kept partitions' longest pause, ${label}`, "pause ms", false, (r) => r.rebalances[i]?.keptPauseMs, false));
  for (const [i, label] of rebalanceLabels.entries()) {
    results.push(row(`kept partitions' longest pause as seen read_committed, ${label}`, "pause ms", false, (r) => r.rebalances[i]?.keptVisiblePauseMs, false));
  }
  return results;
}
