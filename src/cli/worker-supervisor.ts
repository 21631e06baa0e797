// `weir run --workers N` (N > 1): the supervisor process. It starts N workers, each this same command as a child
// process and a separate member of the group, serves the public HTTP port for all of them (worker-gateway.ts),
// restarts a worker that dies (restart-policy.ts) and stops them all on SIGTERM/SIGINT (docs/architecture.md, "Workers").
import { fork, type ChildProcess } from "node:child_process";
import type { MetricObjectWithValues, MetricValue } from "prom-client";
import type { Logger } from "pino";
import { createKafkaClient, type KafkaClient, type TopicAdmin } from "../kafka/index.ts";
import { waitForBroker } from "../runtime/broker-wait.ts";
import type { WeirConfig } from "../runtime/config.ts";
import { workerIndexVariable } from "../runtime/worker-settings.ts";
import { noteEndOffsets, reachedEnd, type EndOffsets } from "./bounded-service.ts";
import { defaultLimits, RestartPolicy } from "./restart-policy.ts";
import { startGateway, type Gateway, type WorkerReport } from "./worker-gateway.ts";

/** Worker → supervisor messages over the IPC channel. */
export type WorkerMessage =
  | { readonly kind: "listening"; readonly port: number }
  | {
      readonly kind: "report";
      readonly id: number;
      readonly health: { healthy: boolean; reason?: string };
      readonly readiness: { ready: boolean; reason?: string };
      readonly metrics: MetricObjectWithValues<MetricValue<string>>[];
    };
/** Supervisor → worker: asks for a report. */
export interface ReportRequest {
  readonly kind: "report";
  readonly id: number;
}

/** How long a worker has to answer a report request (a busy event loop answers late, not never). */
const reportTimeoutMs = 5000;
/** Beyond shutdownTimeoutMs (the workers' own limit), how long the supervisor waits before SIGKILL. */
const killMarginMs = 5000;

interface Worker {
  readonly index: number;
  child: ChildProcess | undefined;
  port: number | undefined;
  /** Why it is not running (it exited; restarting), for /health. */
  down: string | undefined;
  restartTimer: NodeJS.Timeout | undefined;
  readonly pending: Map<number, (report: WorkerReport) => void>;
}

export interface SupervisorOptions {
  readonly workers: number;
  /** The command line a worker runs: this script and its arguments, as the supervisor was started. */
  readonly script: string;
  readonly args: readonly string[];
  readonly config: WeirConfig;
  readonly logger: Logger;
  /** `--until-end`: the input topics whose end offsets, noted at start, end the run (bounded-service.ts). */
  readonly untilEnd?: { readonly topics: readonly string[] };
}

/** How often a bounded service reads the group's committed offsets. */
const boundedCheckMs = 200;

export class WorkerSupervisor {
  private readonly options: SupervisorOptions;
  private readonly workers: Worker[];
  private readonly policy: RestartPolicy;
  private gateway: Gateway | undefined;
  private stopping = false;
  private forcedExitCode: number | undefined;
  private readonly exitCodes: (number | string)[] = [];
  private nextRequest = 0;
  /** Aborted by stop(): a broker wait of start-up ends at once. */
  private readonly startup = new AbortController();
  private bounded: { kafka: KafkaClient; admin: TopicAdmin; noted?: EndOffsets; timer?: NodeJS.Timeout } | undefined;
  private resolveDone!: (exitCode: number) => void;
  /** Resolves with the service's exit code once every worker has exited. */
  readonly done: Promise<number> = new Promise((resolve) => (this.resolveDone = resolve));

  constructor(options: SupervisorOptions) {
    this.options = options;
    this.policy = new RestartPolicy(defaultLimits(options.workers));
    this.workers = Array.from({ length: options.workers }, (_, index) => ({ index, child: undefined, port: undefined, down: "not started", restartTimer: undefined, pending: new Map() }));
  }

  /** Serves the public port (when httpEnabled), then starts every worker. */
  async start(): Promise<void> {
    const { config, logger } = this.options;
    if (config.httpEnabled) {
      this.gateway = await startGateway(
        { reports: () => Promise.all(this.workers.map((w) => this.report(w))), liveWorker: () => this.liveWorker() },
        { host: config.httpHost, port: config.httpPort },
        logger,
      );
    }
    if (this.options.untilEnd) await this.noteEnds(this.options.untilEnd.topics);
    logger.info({ workers: this.workers.length }, "starting workers");
    // A signal during the steps above: no worker is started.
    if (this.stopping) return this.finishIfAllExited();
    for (const worker of this.workers) this.spawn(worker);
    if (this.bounded) this.bounded.timer = setInterval(() => void this.stopIfAtEnd(), boundedCheckMs);
  }

  get httpPort(): number | undefined {
    return this.gateway?.port;
  }

  /** SIGTERM to every worker; those still running after shutdownTimeoutMs and a margin get SIGKILL. */
  stop(exitCode?: number): void {
    if (this.stopping) return;
    this.stopping = true;
    this.forcedExitCode = exitCode;
    this.startup.abort();
    this.options.logger.info("stopping workers");
    for (const worker of this.workers) {
      clearTimeout(worker.restartTimer);
      worker.child?.kill("SIGTERM");
    }
    setTimeout(() => {
      for (const worker of this.workers) {
        if (!worker.child) continue;
        this.options.logger.error({ worker: worker.index, timeoutMs: this.options.config.shutdownTimeoutMs }, "worker did not stop in time: killing it");
        worker.child.kill("SIGKILL");
      }
    }, this.options.config.shutdownTimeoutMs + killMarginMs).unref();
    this.finishIfAllExited();
  }

  /** A second signal: SIGKILL every worker at once. */
  kill(): void {
    this.forcedExitCode = 1;
    for (const worker of this.workers) worker.child?.kill("SIGKILL");
  }

  private async noteEnds(topics: readonly string[]): Promise<void> {
    const { config, logger } = this.options;
    const kafka = createKafkaClient(config.kafkaClient, { ...config.kafka, clientId: `${config.clientId}-supervisor`, brokers: config.brokers }, logger);
    this.bounded = { kafka, admin: kafka.admin() };
    const waiting = { brokers: config.brokers, timeoutMs: config.startupTimeoutMs, connectionTimeoutMs: config.kafka.connectionTimeoutMs };
    await waitForBroker({ ...waiting, signal: this.startup.signal, logger, onWaiting: () => undefined });
    if (this.stopping) return;
    this.bounded.noted = await noteEndOffsets(this.bounded.admin, topics);
  }

  private checking = false;
  private async stopIfAtEnd(): Promise<void> {
    const bounded = this.bounded;
    if (!bounded?.noted || this.stopping || this.checking) return;
    this.checking = true;
    try {
      const committed = await bounded.admin.committedOffsets(this.options.config.applicationId, this.options.untilEnd!.topics);
      if (this.stopping || !reachedEnd(bounded.noted, committed)) return;
      this.options.logger.info("bounded run reached the end offsets noted at start");
      this.stop();
    } catch (err) {
      this.options.logger.warn({ err }, "could not read the group's committed offsets; trying again");
    } finally {
      this.checking = false;
    }
  }

  private spawn(worker: Worker): void {
    const child = fork(this.options.script, [...this.options.args], {
      execArgv: process.execArgv,
      env: { ...process.env, [workerIndexVariable]: String(worker.index) },
      // stdout and stderr (each worker's JSON log lines, with `worker: i`) go where the supervisor's go. A process
      // group of its own: a terminal's Ctrl-C reaches the supervisor only, which stops the workers in order.
      stdio: ["ignore", "inherit", "inherit", "ipc"],
      detached: true,
    });
    worker.child = child;
    worker.port = undefined;
    worker.down = undefined;
    child.on("message", (message: WorkerMessage) => {
      if (message.kind === "listening") worker.port = message.port; else if (message.kind === "report") {
        const { id, ...report } = message;
        worker.pending.get(id)?.({ index: worker.index, ...report });
        worker.pending.delete(id);
      }
    });
    // A failed send (the worker exiting) is seen as its exit.
    child.on("error", (err) => this.options.logger.warn({ err, worker: worker.index }, "worker process error"));
    child.once("exit", (code, signal) => this.exited(worker, code, signal));
    this.options.logger.info({ worker: worker.index, workerPid: child.pid }, "worker started");
  }

  private exited(worker: Worker, code: number | null, signal: NodeJS.Signals | null): void {
    worker.child = undefined;
    worker.port = undefined;
    const how = signal ? `killed by ${signal}` : `exited with ${code}`;
    worker.down = how;
    for (const [, answer] of worker.pending) answer({ index: worker.index, down: how });
    worker.pending.clear();
    const { logger } = this.options;
    if (this.stopping) {
      this.exitCodes.push(code ?? signal ?? "unknown");
      logger.info({ worker: worker.index, code, signal }, "worker stopped");
      this.finishIfAllExited();
      return;
    }
    const decision = this.policy.onExit(worker.index, code, Date.now());
    if (decision.action === "stop") {
      logger.error({ worker: worker.index, code, signal, reason: decision.reason }, "worker exited: stopping the service");
      this.exitCodes.push(code ?? signal ?? "unknown");
      this.stop(decision.exitCode);
      return;
    }
    logger.warn({ worker: worker.index, code, signal, delayMs: decision.delayMs }, "worker exited: restarting it");
    worker.down = `${how}; restarting`;
    worker.restartTimer = setTimeout(() => {
      worker.restartTimer = undefined;
      if (!this.stopping) this.spawn(worker);
    }, decision.delayMs);
  }

  private finishIfAllExited(): void {
    if (!this.stopping || this.workers.some((w) => w.child !== undefined)) return;
    const exitCode = this.forcedExitCode ?? (this.exitCodes.every((c) => c === 0) ? 0 : 1);
    clearInterval(this.bounded?.timer);
    const closed = Promise.all([
      this.gateway?.close(),
      this.bounded?.admin.close().then(() => this.bounded?.kafka.close()),
    ]);
    void closed.catch(() => undefined).finally(() => {
      this.options.logger.info({ exitCode }, "workers stopped");
      this.resolveDone(exitCode);
    });
  }

  private report(worker: Worker): Promise<WorkerReport> {
    const child = worker.child;
    if (!child?.connected) return Promise.resolve({ index: worker.index, down: worker.down ?? "not running" });
    const id = this.nextRequest++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        worker.pending.delete(id);
        resolve({ index: worker.index, down: `did not answer within ${reportTimeoutMs} ms` });
      }, reportTimeoutMs);
      worker.pending.set(id, (report) => {
        clearTimeout(timer);
        resolve(report);
      });
      child.send({ kind: "report", id } satisfies ReportRequest);
    });
  }

  /** A running worker's HTTP address, taking turns; the worker's own host when it listens on one address. */
  private turn = 0;
  private liveWorker(): { host: string; port: number } | undefined {
    const live = this.workers.filter((w) => w.child && w.port !== undefined);
    if (live.length === 0) return undefined;
    const worker = live[this.turn++ % live.length]!;
    const host = this.options.config.httpHost;
    return { host: host === "0.0.0.0" ? "127.0.0.1" : host === "::" ? "[::1]" : host.includes(":") ? `[${host}]` : host, port: worker.port! };
  }
}
