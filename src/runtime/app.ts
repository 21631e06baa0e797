// The running application (`app()` in app-definition.ts declares one): a member of the consumer group
// <applicationId>. It prepares the topics, joins the group, and hands batches to the task manager.
import {
  createKafkaClient,
  type BatchControl,
  type GroupMetadata,
  type GroupConsumer,
  type KafkaClient,
  type PartitionBatch,
  type SharedProducer,
  type TaskOutput,
  type TopicAdmin,
} from "../kafka/index.ts";
import type { Topology } from "../topology/topology.ts";
import type { WeirConfig } from "./config.ts";
import { resolveAppConfig, type AppDefinition } from "./app-definition.ts";
import { WeirMetrics } from "../metrics/metrics.ts";
import { startHttpServer, type AppView, type HttpServer, type TasksView } from "../server/http-server.ts";
import { WeirError } from "./errors.ts";
import { hostname } from "node:os";
import { InstanceDirectory } from "./instance-directory.ts";
import { instancesView } from "./instances-view.ts";
import { InteractiveQueries } from "./interactive-queries.ts";
import { createLogger, type Logger } from "./logger.ts";
import { TaskManager } from "./task-manager.ts";
import { StandbyTasks, type StaleCopy } from "./standby-tasks.ts";
import { InstanceTransactions } from "./instance-transactions.ts";
import { DepartedTransactions } from "./departed-transactions.ts";
import { ProbingRebalance } from "./probing-rebalance.ts";
import { randomUUID } from "node:crypto";
import { restoreHoldFromEnv, standbyHoldFromEnv } from "./restore-hold.ts";
import { GlobalUpdater } from "./global-updater.ts";
import { RepartitionPurger } from "./repartition-purger.ts";
import { prepareTopics } from "./topic-check.ts";
import { waitForBroker } from "./broker-wait.ts";
import { changelogFetchMaxBytes } from "./pending-changelog.ts";
import { workerIndex, workerSettings } from "./worker-settings.ts";
import { BoundedRun } from "./bounded-run.ts";

/** The longest an interactive query waits for a task's commit or another instance's answer. */
const queryTimeoutMs = 5000;
/** The longest /tasks waits for another instance's tasks. */
const instancesTimeoutMs = 2000;

type State = "created" | "starting" | "running" | "stopping" | "stopped" | "failed";

export interface RunOptions {
  /** Bounded mode: note the inputs' end offsets at start, stop once every task has committed up to them. */
  readonly untilEnd?: boolean;
  /** Called with the HTTP server's port once it listens (a worker tells its supervisor: `weir run --workers`). */
  readonly listening?: (port: number) => void;
}

export class App {
  readonly config: WeirConfig;
  readonly logger: Logger;
  /** The definition's topology with its repartition topics named for this application id. */
  private readonly topology: Topology;
  private readonly purger: RepartitionPurger;
  private readonly kafka: KafkaClient;
  private readonly admin: TopicAdmin;
  private readonly tasks: TaskManager;
  /** The standby and warm-up tasks the group gives this process (docs/architecture.md, "Standby replicas"). */
  private readonly standbys: StandbyTasks;
  /** The leader's probing rebalance, while warm-up replicas catch up. */
  private readonly probing: ProbingRebalance;
  readonly metrics: WeirMetrics;
  private http: HttpServer | undefined;
  private consumer: GroupConsumer | undefined;
  /** The group's task → instance map, for interactive queries and the multi-instance /tasks. */
  private readonly directory: InstanceDirectory;
  private readonly queries: InteractiveQueries;
  private shared: SharedProducer | undefined;
  /** Exactly-once v2 (a KIP-447 client): the instance's one transactional producer, shared by its tasks. */
  private transactions: InstanceTransactions | undefined;
  /** With `transactions`: this instance's transactional id, and the aborts of those of members that left. */
  private departed: DepartedTransactions | undefined;
  /** The global stores (GlobalKTables) and their consumer, when the topology has any. */
  private global: GlobalUpdater | undefined;
  private state: State = "created";
  private batchesInFlight = 0;
  private failure: Error | undefined;
  private stopped: Promise<void> | undefined;
  /** Aborted by stop(): start-up takes no further step (docs/architecture.md, "Static membership, start-up and shutdown"). */
  private readonly startup = new AbortController();
  /** start()'s run, which stop() lets settle before closing anything, so that nothing start-up opens outlives the stop. */
  private starting: Promise<void> | undefined;
  /** True once the consumer has joined the group: only then does stopping commit and leave. */
  private joined = false;
  /** Why start-up is waiting (an unreachable broker), for /ready. */
  private waitingFor: string | undefined;
  /** `--until-end`: the ends noted at start and what the tasks committed since, checked every 200 ms. */
  private bounded: BoundedRun | undefined;
  private boundedCheck: NodeJS.Timeout | undefined;
  /** A worker of `weir run --workers` with applicationServer configured: advertised as this host with its own port. */
  private readonly advertisedHost: string | undefined;
  private resolveDone!: (error: Error | undefined) => void;
  /** Resolves when the app has stopped, with the error that stopped it if any. */
  readonly done: Promise<Error | undefined> = new Promise((resolve) => (this.resolveDone = resolve));

  /**
   * Settings are layered as resolveAppConfig() says. A worker of `weir run --workers` (WEIR_WORKER_INDEX set by
   * its supervisor) derives its own from them (worker-settings.ts).
   */
  constructor(definition: AppDefinition, overrides: Record<string, unknown> = {}, env: NodeJS.ProcessEnv = process.env) {
    const config = resolveAppConfig(definition, overrides, env);
    const index = workerIndex(env);
    const worker = index === undefined ? { config, advertisedHost: undefined } : workerSettings(config, index);
    this.config = worker.config;
    this.advertisedHost = worker.advertisedHost;
    this.logger = createLogger(this.config.logLevel, { app: this.config.applicationId });
    this.kafka = createKafkaClient(this.config.kafkaClient, { ...this.config.kafka, clientId: this.config.clientId, brokers: this.config.brokers }, this.logger);
    this.admin = this.kafka.admin();
    this.topology = definition.topology.forApplication(this.config.applicationId);
    this.purger = new RepartitionPurger(this.admin, this.topology.repartitionTopics.map((r) => r.name), this.config.repartitionPurgeIntervalMs, this.logger);
    this.metrics = new WeirMetrics(this.config.applicationId, {
      tasksOwned: () => this.tasks.count(),
      stores: () => this.tasks.storeSizes(),
    });
    this.tasks = new TaskManager({
      metrics: this.metrics,
      topology: this.topology,
      config: this.config,
      logger: this.logger,
      admin: this.admin,
      outputFor: (taskId) => this.outputFor(taskId),
      changelogReader: this.kafka.partitionReader(
        {
          groupPrefix: `${this.config.applicationId}-restore`,
          maxBytesPerPartition: this.config.maxBytesPerPartition,
          maxBytes: changelogFetchMaxBytes,
          maxWaitTimeMs: this.config.fetchMaxWaitMs,
        },
        this.logger,
      ),
      fail: (error) => this.fail(error),
      committed: (_task, offsets) => {
        this.bounded?.committed(offsets);
        this.purger.committed(offsets);
      },
      globalStores: () => this.global?.stores,
      groupMetadata: () => this.consumer?.groupMetadata(),
      restoreHold: restoreHoldFromEnv(env, this.logger),
      releaseStandby: (id) => this.standbys.release(id),
    });
    const standbyOptions = { kafka: this.kafka, admin: this.admin, topology: this.topology, config: this.config, logger: this.logger, metrics: this.metrics };
    this.standbys = StandbyTasks.create({ ...standbyOptions, isActive: (id) => this.tasks.task(id) !== undefined, held: standbyHoldFromEnv(env, this.logger) });
    this.probing = new ProbingRebalance(this.config.probingRebalanceIntervalMs, () => this.consumer, this.logger);
    this.directory = new InstanceDirectory(() => this.consumer!.assignmentUserData(), this.logger);
    this.queries = new InteractiveQueries({
      topology: this.topology,
      applicationId: this.config.applicationId,
      timeoutMs: queryTimeoutMs,
      host: {
        applicationServer: () => this.applicationServer(),
        instanceMap: () => this.directory.current(),
        lastInstanceMap: () => this.directory.lastKnown(),
        task: (id) => this.tasks.task(id),
        staleCopy: (id) => this.staleCopy(id),
      },
    });
  }

  /** Checks and prepares the topics, joins the group and starts processing; resolves once the consumer runs. */
  start(options: RunOptions = {}): Promise<void> {
    if (this.state !== "created") return Promise.reject(new Error(`start() called on an app that is ${this.state}`));
    this.state = "starting";
    this.starting = this.startUp(options);
    return this.starting;
  }

  /** Start-up's steps; after each, a stop() that came meanwhile ends it (resolved: the stop reports the outcome). */
  private async startUp(options: RunOptions): Promise<void> {
    const topology = this.topology;
    const stopping = this.startup.signal;
    if (options.untilEnd && topology.repartitionTopics.length > 0) {
      // The end of a repartition topic is not known at start (the app itself writes it), and its transaction
      // markers keep a committed offset below its end offset: a bounded run could never tell it is done.
      throw new WeirError("WEIR_CONFIG_INVALID", `--until-end does not support topologies with repartition topics yet (${topology.repartitionTopics.map((r) => r.name).join(", ")})`);
    }
    // Up before the group join, so that /health and /ready answer while tasks restore.
    if (this.config.httpEnabled) {
      this.http = await startHttpServer(this.view(), { host: this.config.httpHost, port: this.config.httpPort }, this.logger);
      options.listening?.(this.http.port);
    }
    const { brokers, startupTimeoutMs: timeoutMs } = this.config;
    const onWaiting = (reason: string | undefined) => (this.waitingFor = reason);
    await waitForBroker({ brokers, timeoutMs, connectionTimeoutMs: this.config.kafka.connectionTimeoutMs, signal: stopping, logger: this.logger, onWaiting });
    if (stopping.aborted) return;
    const limits = await prepareTopics(this.admin, topology, this.config);
    this.tasks.setMaxMessageBytes(limits.maxMessageBytes);
    if (options.untilEnd) this.bounded = await BoundedRun.start(this.admin, this.config.applicationId, topology.sourceTopics());
    // Global stores are restored before the group join, so no task runs before they are complete.
    if (stopping.aborted) return;
    const globalOptions = { kafka: this.kafka, admin: this.admin, topology, config: this.config, logger: this.logger, signal: stopping };
    this.global = await GlobalUpdater.start({ ...globalOptions, fail: (error) => this.fail(error) });
    if (stopping.aborted) return;
    if (this.config.processingGuarantee === "at_least_once") {
      this.shared = this.kafka.sharedProducer();
      await this.shared.connect();
    } else if (this.kafka.groupMetadataInTransactions) {
      // transactional.id = <applicationId>-<a UUID per run>, as Kafka Streams' <applicationId>-<processId>: no
      // two running instances share it, whatever their state dirs. A SIGKILLed run's open transaction is aborted
      // by a remaining member (departed-transactions.ts), else at its timeout (transactionTimeoutMs).
      const transactionalId = `${this.config.applicationId}-${randomUUID()}`;
      const output = (id: string, generation?: () => GroupMetadata | undefined) =>
        this.kafka.transactionalOutput(id, this.config.applicationId, this.config.transactionTimeoutMs, generation);
      this.transactions = new InstanceTransactions((generation) => output(transactionalId, generation));
      this.departed = new DepartedTransactions(transactionalId, output, this.logger);
      await this.transactions.init();
    }
    // Without this check a stop during the steps above left the consumer to be made after it: the process
    // rejoined the group, took tasks, and only died at the shutdown timeout.
    if (stopping.aborted) return;
    this.consumer = this.kafka.groupConsumer(
      {
        groupId: this.config.applicationId,
        // Changelogs are restored read_committed; inputs are read the same way under both guarantees.
        readCommitted: true,
        sessionTimeoutMs: this.config.sessionTimeoutMs,
        heartbeatIntervalMs: this.config.heartbeatIntervalMs,
        rebalanceTimeoutMs: 60000,
        partitionsConsumedConcurrently: this.config.partitionsConsumedConcurrently,
        maxBytesPerPartition: this.config.maxBytesPerPartition,
        maxWaitTimeMs: this.config.fetchMaxWaitMs,
        planner: this.tasks.planner({ applicationServer: () => this.applicationServer(), probing: this.probing, ...this.standbys.memberInfo(), ...this.departed?.memberInfo() }),
        ...(this.config.groupInstanceId !== undefined ? { groupInstanceId: this.config.groupInstanceId } : {}),
        rebalanceStarting: () => this.tasks.rebalanceStarting(),
      },
      this.logger,
    );
    this.tasks.attach(this.consumer);
    // With "tasks assigned", the rebalance's duration from this member's side (the incremental-rebalance test reads both).
    this.logger.info({ groupId: this.config.applicationId, client: this.config.kafkaClient, transactionalId: this.departed?.ownId }, "joining the group");
    if (this.departed) await this.directory.readBeforeJoin();
    await this.consumer.start(
      this.tasks.subscribedTopics(),
      (batch, control) => this.onBatch(batch, control),
      (assignment) => {
        this.tasks.onAssignment(assignment);
        const previous = this.directory.lastKnown();
        void this.directory.assigned().then(() => {
          this.standbys.assignFrom(this.directory.current());
          this.departed?.assigned(previous, this.directory.current());
        });
      },
      (end) => this.tasks.onBatchEnd(end),
      // The client gave up on the consumer: an instance outside its group processes nothing, so it fails
      // (/health DOWN, non-zero exit) for its supervisor to restart it, rather than stay up idle.
      (error) => this.fail(new WeirError("WEIR_CONSUMER_LOST", `the Kafka client gave up on the group consumer: ${error.message}`, { cause: error })),
    );
    this.joined = true;
    if (stopping.aborted) return;
    this.state = "running";
    this.logger.info({ topics: topology.sourceTopics(), guarantee: this.config.processingGuarantee, untilEnd: options.untilEnd ?? false }, "app running");
    if (options.untilEnd) this.boundedCheck = setInterval(() => this.stopIfAtEnd(), 200);
  }

  /** Stops fetching, commits what was processed, closes the tasks, leaves the group. Safe to call more than once. */
  stop(): Promise<void> {
    this.stopped ??= this.shutdown();
    return this.stopped;
  }

  private async shutdown(): Promise<void> {
    this.state = "stopping";
    clearInterval(this.boundedCheck);
    const directoryClosed = this.directory.close();
    this.logger.info("app stopping");
    // A start-up step under way finishes first (a broker wait ends at once); start-up then takes no other.
    this.startup.abort();
    await this.starting?.catch(() => undefined);
    try {
      if (this.consumer && this.joined) {
        // kafkajs forgets the group on stop(), so: pause fetching, let running batches finish, commit, then leave.
        this.consumer.pauseTopics(this.tasks.subscribedTopics());
        this.tasks.beginShutdown();
        while (this.batchesInFlight > 0) await new Promise((r) => setTimeout(r, 10));
        if (!this.failure) await this.tasks.commitAll();
      }
    } catch (err) {
      this.failure ??= err as Error;
      this.logger.error({ err }, "final commit failed");
    } finally {
      await this.tasks.closeAll().catch((err: unknown) => this.logger.warn({ err }, "tasks did not close cleanly"));
      this.probing.stop();
      await this.standbys.stop().catch((err: unknown) => this.logger.warn({ err }, "standby tasks did not close cleanly"));
      await this.consumer?.disconnect().catch((err: unknown) => this.logger.warn({ err }, "consumer did not leave cleanly"));
      await this.global?.stop().catch((err: unknown) => this.logger.warn({ err }, "global consumer did not stop cleanly"));
      await this.shared?.disconnect().catch((err: unknown) => this.logger.warn({ err }, "producer did not close cleanly"));
      await this.transactions?.close().catch((err: unknown) => this.logger.warn({ err }, "producer did not close cleanly"));
      await this.departed?.close();
      await this.purger.close();
      await directoryClosed;
      await this.admin.close().catch(() => undefined);
      await this.kafka.close().catch(() => undefined);
      await this.http?.close().catch((err: unknown) => this.logger.warn({ err }, "http server did not close cleanly"));
      this.state = this.failure ? "failed" : "stopped";
      this.logger.info({ state: this.state }, "app stopped");
      this.resolveDone(this.failure);
    }
  }

  private async onBatch(batch: PartitionBatch, control: BatchControl): Promise<void> {
    if (this.state !== "running" && this.state !== "starting") return;
    this.batchesInFlight += 1;
    try {
      await this.tasks.onBatch(batch, control);
    } finally {
      this.batchesInFlight -= 1;
    }
  }

  /** The port the HTTP server listens on, when it runs. */
  get httpPort(): number | undefined {
    return this.http?.port;
  }

  /**
   * The copy of a task here that may answer a stale read (docs/architecture.md, "Interactive queries during
   * failover"): its caught-up standby, or its active task while it restores from a standby that was caught up.
   */
  private staleCopy(id: string): StaleCopy | undefined {
    const task = this.tasks.task(id);
    if (!task) return this.standbys?.staleCopy(id);
    const lag = task.status === "restoring" ? this.standbys?.promotedLag(id) : undefined;
    return lag === undefined ? undefined : { lag, readCommitted: (read) => task.readCommitted(read) };
  }

  /** Where other instances reach this one: `applicationServer`, else the HTTP server's own address; null without either. */
  applicationServer(): string | null {
    if (this.config.applicationServer) return this.config.applicationServer;
    if (!this.http) return null;
    if (this.advertisedHost !== undefined) return `${this.advertisedHost}:${this.http.port}`;
    const host = this.config.httpHost === "0.0.0.0" || this.config.httpHost === "::" ? hostname() : this.config.httpHost;
    return `${host.includes(":") ? `[${host}]` : host}:${this.http.port}`;
  }

  /** Alive: the process and its Kafka clients work (/health). */
  health(): { healthy: boolean; reason?: string } {
    const alive = this.state === "starting" || this.state === "running" || this.state === "stopping";
    return alive ? { healthy: true } : { healthy: false, reason: `the app is ${this.state}${this.failure ? `: ${this.failure.message}` : ""}` };
  }

  /** Ready: assigned tasks are restored and running (/ready). */
  readiness(): { ready: true } | { ready: false; reason: string } {
    return this.state === "running" ? this.tasks.readiness() : { ready: false, reason: (this.state === "starting" && this.waitingFor) || `the app is ${this.state}` };
  }

  private view(): AppView {
    return {
      health: () => this.health(),
      readiness: () => this.readiness(),
      topology: () => {
        const topology = this.topology;
        return { applicationId: this.config.applicationId, text: topology.describe(), mermaid: topology.describeMermaid(), subTopologies: topology.describeNodes() };
      },
      tasks: async (scope) => {
        const local = this.tasksView();
        return scope === "local" ? local : instancesView(local, this.directory.current(), this.applicationServer(), instancesTimeoutMs);
      },
      query: (request) => this.queries.query(request),
      metrics: () => this.metrics.text(),
      metricsContentType: this.metrics.contentType,
    };
  }

  private tasksView(): TasksView {
    const tasks = this.tasks.snapshots();
    const server = this.applicationServer();
    return {
      applicationId: this.config.applicationId,
      instance: this.config.clientId,
      state: this.state,
      instances: [{ instance: this.config.clientId, applicationServer: server, state: this.state, tasks: tasks.map((t) => t.id) }],
      tasks,
      // Listed with numStandbyReplicas set, or while warm-ups run here; else /tasks is as it was before either.
      ...(this.config.numStandbyReplicas > 0 || this.standbys.ids().length > 0 ? { standbys: this.standbys.snapshots() } : {}),
    };
  }

  private outputFor(taskId: string): TaskOutput {
    if (this.shared) return this.shared.taskOutput((offsets) => this.consumer!.commit(offsets));
    if (this.transactions) return this.transactions.forTask(() => this.tasks.commitGeneration(taskId));
    return this.kafka.transactionalOutput(`${this.config.applicationId}-${taskId}`, this.config.applicationId, this.config.transactionTimeoutMs);
  }

  private fail(error: Error): void {
    this.failure ??= error;
    this.logger.error({ err: error }, "task failed; stopping");
    void this.stop();
  }

  private stopIfAtEnd(): void {
    if (this.state !== "running" || !this.bounded?.atEnd([...this.tasks.all()])) return;
    this.logger.info({ tasks: [...this.tasks.all()].map((t) => t.id) }, "bounded run reached the end offsets noted at start");
    void this.stop();
  }
}
