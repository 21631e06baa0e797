// W7's instances: Weir (`weir run` of W2's count, HTTP on for /tasks) or the Kafka Streams peer (workload w7),
// with the same session timeout and standby count, and what the runner reads from each: whether it holds the
// task active, its standby's lag, when the task ran there and how many records it restored.
import { createServer } from "node:net";
import { startKafkaStreams } from "../baselines/kafka-streams.ts";
import type { ChildRun } from "./child.ts";
import { logLines, startWeir } from "./weir.ts";

export interface FailoverInstance {
  readonly name: string;
  readonly run: ChildRun;
  /** Whether the last assignment the instance reported made it the task's active (one task: any active task). */
  isActive(): boolean;
  /** Whether the instance reported an assignment (it joined the group). */
  joined(): boolean;
  /** Its standby's lag in records (changelog end − its position), undefined while it has none. */
  standbyLag(): Promise<number | undefined>;
  /** The first time (epoch ms) at or after `since` a rebalance reached the instance (Weir: "tasks assigned"; Kafka Streams: REBALANCING). */
  rebalanceSince(since: number): number | undefined;
  /** The first time (epoch ms) at or after `since` the task ran here: restored and processing. */
  taskRunningSince(since: number): number | undefined;
  /** Changelog records restored into the active task here at or after `since` (a standby's own reading excluded). */
  restoredSince(since: number): number;
  readonly cleanup: () => void;
}

export interface FailoverSettings {
  readonly brokers: readonly string[];
  readonly appId: string;
  readonly input: string;
  readonly output: string;
  readonly sessionTimeoutMs: number;
  readonly standbys: number;
}

/** A TCP port free on loopback now (for a Weir instance's HTTP server). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export async function startWeirInstance(settings: FailoverSettings, name: string): Promise<FailoverInstance> {
  const port = await freePort();
  const { run, cleanup } = startWeir({
    workload: "w2-count.ts",
    brokers: settings.brokers,
    applicationId: settings.appId,
    input: settings.input,
    output: settings.output,
    guarantee: "exactly_once",
    untilEnd: false,
    kafkaClient: "platformatic",
    env: {
      WEIR_SESSION_TIMEOUT_MS: String(settings.sessionTimeoutMs),
      WEIR_NUM_STANDBY_REPLICAS: String(settings.standbys),
      WEIR_HTTP_ENABLED: "true",
      WEIR_HTTP_HOST: "127.0.0.1",
      WEIR_HTTP_PORT: String(port),
    },
  });
  type Line = { msg?: string; time?: number; tasks?: string[]; restored?: number };
  const lines = () => logLines(run) as Line[];
  return {
    name,
    run,
    // "tasks assigned" (with the active task ids) after every rebalance, an empty list included.
    isActive: () => (lines().filter((l) => l.msg === "tasks assigned").at(-1)?.tasks?.length ?? 0) > 0,
    joined: () => lines().some((l) => l.msg === "tasks assigned"),
    standbyLag: async () => {
      try {
        const response = await fetch(`http://127.0.0.1:${port}/tasks?scope=local`, { signal: AbortSignal.timeout(2000) });
        const view = (await response.json()) as { standbys?: { lag: number | null }[] };
        const lag = view.standbys?.[0]?.lag;
        return lag === null ? undefined : lag;
      } catch {
        return undefined;
      }
    },
    rebalanceSince: (since) => lines().find((l) => l.msg === "tasks assigned" && (l.time ?? 0) >= since)?.time,
    taskRunningSince: (since) => lines().find((l) => l.msg === "task running" && (l.time ?? 0) >= since)?.time,
    restoredSince: (since) => lines().filter((l) => l.msg === "restore done" && (l.time ?? 0) >= since).reduce((n, l) => n + (l.restored ?? 0), 0),
    cleanup,
  };
}

export function startKafkaStreamsInstance(settings: FailoverSettings): (name: string) => FailoverInstance {
  return (name) => {
    const { run, cleanup } = startKafkaStreams({
      workload: "w7",
      guarantee: "exactly_once",
      brokers: settings.brokers,
      appId: settings.appId,
      input: settings.input,
      output: settings.output,
      continuous: true,
      sessionTimeoutMs: settings.sessionTimeoutMs,
      standbyReplicas: settings.standbys,
    });
    // BenchApp.java (w7): {"event":"tasks","time","active","standby"} at each RUNNING, {"event":"standby","time","lag"}
    // as its standby reads, {"event":"restored","time","records"} at each restore's end, {"event":"rebalancing","time"}.
    type Event = { event: string; time: number; active?: string[]; standby?: string[]; lag?: number; records?: number };
    const events = () => run.stdout.filter((l) => l.startsWith('{"event":')).map((l) => JSON.parse(l) as Event);
    const tasks = () => events().filter((e) => e.event === "tasks");
    return {
      name,
      run,
      isActive: () => (tasks().at(-1)?.active?.length ?? 0) > 0,
      joined: () => tasks().length > 0,
      standbyLag: () => {
        const last = tasks().at(-1);
        if (!last || (last.standby?.length ?? 0) === 0) return Promise.resolve(undefined);
        // Printed after a batch applied, at most every 500 ms: a line older than 2 s is not news of now.
        const lag = events().filter((e) => e.event === "standby" && e.time >= Date.now() - 2000).at(-1)?.lag;
        return Promise.resolve(lag);
      },
      rebalanceSince: (since) => events().find((e) => e.event === "rebalancing" && e.time >= since)?.time,
      taskRunningSince: (since) => tasks().find((e) => e.time >= since && (e.active?.length ?? 0) > 0)?.time,
      restoredSince: (since) => events().filter((e) => e.event === "restored" && e.time >= since).reduce((n, e) => n + (e.records ?? 0), 0),
      cleanup,
    };
  };
}
