// W7 failover: W2's count (exactly-once, 100 ms commits) as one task (a single input partition) with a store
// of `failoverKeys` keys, fed at a fixed rate; instance A holds the task, instance B joins (and, with a standby
// replica, catches up its copy); after a steady hold the active's instance is SIGKILLed. The figure is the time
// from the kill to the first output of the task that a read_committed consumer receives with a broker append
// time after the kill: the first committed output on the new owner.
import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { kafkaStreamsAvailable } from "../baselines/kafka-streams.ts";
import type { BenchContext } from "./context.ts";
import { startKafkaStreamsInstance, startWeirInstance, type FailoverInstance, type FailoverSettings } from "./failover.ts";
import { loadTopic } from "./load.ts";
import { countChangelogRecord } from "./records.ts";
import { finish, type Targets, type WorkloadResult } from "./results.ts";
import { collectOutput, startFeed } from "./scale-out.ts";
import { summarize } from "./stats.ts";
import { tailOf } from "./child.ts";
import { weirSystem } from "./weir.ts";

/** Both systems: a member gone without leaving (SIGKILL) is noticed after this long. */
const sessionTimeoutMs = 10_000;
/** A standby is caught up once its lag is at most this many records (about a second of input). */
const caughtUpLag = 1_000;
/** Steady state before the kill, once B joined (and its standby caught up). */
const holdMs = 10_000;
const startTimeoutMs = 300_000;
const resumeTimeoutMs = 180_000;

interface Failover {
  /** Kill → the first post-kill output received by the read_committed consumer. */
  readonly resumeMs: number;
  /** Kill → that record's broker append time: when the new owner produced it (its transaction still open). */
  readonly appendedMs: number;
  /** Kill → the new owner's first sight of the rebalance (Weir: its "tasks assigned" log; Kafka Streams: REBALANCING). */
  readonly rebalanceMs: number | undefined;
  /** Kill → the task running on the new owner (Weir: "task running"; Kafka Streams: RUNNING with the task active). */
  readonly runningMs: number | undefined;
  /** Changelog records the new owner restored into the task after the kill. */
  readonly restored: number;
  /** The killed instance (A or B) and how long B took from its start to joined / caught up. */
  readonly killed: string;
  readonly readyMs: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, timeoutMs: number, instances: readonly FailoverInstance[], check: () => Promise<T | undefined> | T | undefined): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    for (const i of instances) if (i.run.child.exitCode !== null) throw new Error(`${i.name} exited (${i.run.child.exitCode}) waiting for ${what}:\n${tailOf(i.run, 15)}`);
    if (Date.now() > deadline) throw new Error(`no ${what} within ${timeoutMs / 1000} s:\n${instances.map((i) => `${i.name}:\n${tailOf(i.run, 8)}`).join("\n")}`);
    await sleep(250);
  }
}

async function runFailover(ctx: BenchContext, system: string, standbys: number): Promise<Failover> {
  const label = `${system === "Kafka Streams" ? "ks" : "weir"}-s${standbys}`;
  const input = await ctx.topic(`w7-${label}-in`, { partitions: 1 });
  const output = await ctx.topic(`w7-${label}-out`, { partitions: 1, config: { "message.timestamp.type": "LogAppendTime" } });
  const appId = `bench-w7-${label}-${ctx.runId}`;
  const keys = ctx.sizes.failoverKeys;
  // The store's changelog written beforehand (W4's records): A restores it at start, B's standby reads it. Its
  // keys (`stored-<i>`) are none of the input's (`key-<k>`), so that processing never reads a preloaded value.
  const changelog = await ctx.createTopic(`${appId}-counts-changelog`, { partitions: 1, config: { "cleanup.policy": "compact" } });
  const loaded = await loadTopic(ctx.brokers, changelog, keys, (i) => ({ ...countChangelogRecord(i, 1), key: Buffer.from(`stored-${i}`) }));
  ctx.log(`W7 ${system}, ${standbys} standby: ${keys} changelog records loaded in ${Math.round(loaded.ms)} ms`);
  const settings: FailoverSettings = { brokers: ctx.brokers, appId, input, output, sessionTimeoutMs, standbys };
  const start = system === "Kafka Streams" ? (name: string) => Promise.resolve(startKafkaStreamsInstance(settings)(name)) : (name: string) => startWeirInstance(settings, name);
  const collector = await collectOutput(ctx.brokers, output, 1);
  const instances: FailoverInstance[] = [];
  let feed: Awaited<ReturnType<typeof startFeed>> | undefined;
  try {
    const a = await start("A");
    instances.push(a);
    await until("task running on A", startTimeoutMs, instances, () => (a.isActive() && a.taskRunningSince(0) !== undefined ? true : undefined));
    feed = await startFeed(ctx.brokers, input, 1, keys, ctx.sizes.failoverRate);
    await until("output", startTimeoutMs, instances, () => (collector.received() > 0 ? true : undefined));
    const bStarted = Date.now();
    const b = await start("B");
    instances.push(b);
    if (standbys === 0) await until("B joined", startTimeoutMs, instances, () => (b.joined() ? true : undefined));
    else await until(`B's standby within ${caughtUpLag} records`, startTimeoutMs, instances, async () => ((await b.standbyLag()) ?? Infinity) <= caughtUpLag ? true : undefined);
    const readyMs = Date.now() - bStarted;
    ctx.log(`W7 ${system}, ${standbys} standby: B ${standbys === 0 ? "joined" : "caught up"} ${(readyMs / 1000).toFixed(1)} s after its start; holding ${holdMs / 1000} s`);
    await sleep(holdMs);
    const actives = instances.filter((i) => i.isActive());
    if (actives.length !== 1) throw new Error(`expected one active instance before the kill, found ${actives.map((i) => i.name).join(", ") || "none"}`);
    const victim = actives[0]!;
    const survivor = instances.find((i) => i !== victim)!;
    if (standbys > 0) {
      const lag = await survivor.standbyLag();
      ctx.log(`W7 ${system}: ${survivor.name}'s standby lag just before the kill: ${lag ?? "unknown"}`);
    }
    const lastArrival = collector.arrivals[0]!.at(-1) ?? 0;
    const kill = Date.now();
    victim.run.child.kill("SIGKILL");
    ctx.log(`W7 ${system}, ${standbys} standby: SIGKILL to ${victim.name} (last output received ${kill - lastArrival} ms before)`);
    const index = await until("committed output after the kill", resumeTimeoutMs, [survivor], () => {
      const i = collector.times[0]!.findIndex((t) => t > kill);
      return i >= 0 ? i : undefined;
    });
    const running = survivor.taskRunningSince(kill);
    const rebalance = survivor.rebalanceSince(kill);
    const result: Failover = {
      resumeMs: collector.arrivals[0]![index]! - kill,
      appendedMs: collector.times[0]![index]! - kill,
      rebalanceMs: rebalance === undefined ? undefined : rebalance - kill,
      runningMs: running === undefined ? undefined : running - kill,
      restored: survivor.restoredSince(kill),
      killed: victim.name,
      readyMs,
    };
    ctx.log(`W7 ${system}, ${standbys} standby: ${JSON.stringify(result)}`);
    return result;
  } catch (err) {
    // The instances' whole output, for the cause (the error carries only their last lines).
    for (const i of instances) writeFileSync(join(tmpdir(), `${appId}-${i.name}.log`), [...i.run.stderr, ...i.run.stdout].join("\n"));
    throw new Error(`(the instances' output: ${join(tmpdir(), `${appId}-<A|B>.log`)}) ${(err as Error).message}`, { cause: err });
  } finally {
    await feed?.stop().catch((err: unknown) => ctx.log(`W7 ${system}: ${(err as Error).message}`));
    await collector.stop();
    await Promise.all(instances.map((i) => i.run.stop()));
    for (const i of instances) i.cleanup();
  }
}

/** Weir with a standby: resumes within the session timeout + 2 s, and no later than Kafka Streams with one. */
const standbyTargets = (weir: string): Targets => (medians) => {
  const value = medians.get(weir);
  const ks = medians.get("Kafka Streams");
  const bound = sessionTimeoutMs + 2000;
  return [
    { system: weir, text: `${weir} ≤ session timeout + 2 s (${bound} ms)`, value, met: value === undefined ? undefined : value <= bound },
    { system: weir, text: `${weir} ≤ 1.0× Kafka Streams`, value: value !== undefined && ks ? value / ks : undefined, met: value !== undefined && ks ? value <= ks : undefined },
  ];
};

/** W7 as one result per standby count (0, 1), Weir and Kafka Streams side by side; one run each. */
export async function w7(ctx: BenchContext): Promise<WorkloadResult[]> {
  const weir = weirSystem("platformatic");
  const systems = [weir, ...(kafkaStreamsAvailable() ? ["Kafka Streams"] : [])];
  const results: WorkloadResult[] = [];
  const title = `failover of one task with a ${ctx.sizes.failoverKeys.toLocaleString("en")}-key store at ${ctx.sizes.failoverRate.toLocaleString("en")} records/s: SIGKILL the active's instance`;
  for (const standbys of [0, 1]) {
    const runs = new Map<string, Failover>();
    const failed = new Map<string, string>();
    // The systems one after the other for each standby count, so that a busy spell falls on both of a pair.
    for (const system of systems) {
      try {
        runs.set(system, await runFailover(ctx, system, standbys));
      } catch (err) {
        failed.set(system, (err as Error).message.split("\n").slice(0, 12).join("\n"));
        ctx.log(`W7 ${system}, ${standbys} standby: failed: ${failed.get(system)}`);
      }
    }
    const notes = [
      `one input partition (one task, W2's count, exactly-once, commit interval 100 ms), its store's changelog loaded with ${ctx.sizes.failoverKeys.toLocaleString("en")} keys beforehand; a producer sends ${ctx.sizes.failoverRate.toLocaleString("en")} records/s (new keys) from A's task running to the end; instance B is started once A outputs, and once B joined (with a standby: its standby within ${caughtUpLag.toLocaleString("en")} records of the changelog's end) both run ${holdMs / 1000} s before the active's instance gets SIGKILL`,
      `resume ms = the time a read_committed consumer (fetch wait 100 ms) received the first output record of the task whose broker append time (LogAppendTime) is after the kill, minus the kill; "appended ms" is that record's append time minus the kill (the new owner produced it; visible once its transaction committed); "rebalance seen ms": the new owner's first "tasks assigned" log line after the kill (Weir) or its first transition to REBALANCING (Kafka Streams); "task running ms": its "task running" log line (Weir) or RUNNING with the task active (Kafka Streams)`,
      `session timeout ${sessionTimeoutMs / 1000} s and heartbeat 3 s on both (Weir's sessionTimeoutMs; Kafka Streams' session.timeout.ms), transaction timeout 10 s on both, no static membership; the killed instance's open transaction holds the output's last stable offset until the broker aborts it (transaction timeout, checked every 10 s by default)`,
      ...[...runs].map(([system, r]) => `${system}, ${standbys} standby: killed ${r.killed}; B ready ${(r.readyMs / 1000).toFixed(1)} s after its start; after the kill: rebalance seen ${r.rebalanceMs === undefined ? "–" : `${(r.rebalanceMs / 1000).toFixed(1)} s`}, task running ${r.runningMs === undefined ? "–" : `${(r.runningMs / 1000).toFixed(1)} s`}, first output appended ${(r.appendedMs / 1000).toFixed(1)} s, received ${(r.resumeMs / 1000).toFixed(1)} s; ${r.restored.toLocaleString("en")} records restored by the new owner`),
    ];
    results.push(
      finish(
        "W7",
        title,
        `numStandbyReplicas ${standbys}`,
        "resume ms",
        false,
        systems.map((system) => {
          const r = runs.get(system);
          if (!r) return { system, status: "failed" as const, reason: failed.get(system) ?? "no measurement", metrics: {} };
          return {
            system,
            status: "measured" as const,
            metrics: {
              "resume ms": summarize([r.resumeMs]),
              "appended ms": summarize([r.appendedMs]),
              ...(r.rebalanceMs === undefined ? {} : { "rebalance seen ms": summarize([r.rebalanceMs]) }),
              ...(r.runningMs === undefined ? {} : { "task running ms": summarize([r.runningMs]) }),
              "restored records": summarize([r.restored]),
            },
          };
        }),
        standbys > 0 ? standbyTargets(weir) : undefined,
        notes,
      ),
    );
  }
  return results;
}
