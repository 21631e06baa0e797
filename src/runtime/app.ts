// The application: `app()` declares one, `App` runs it as a member of the consumer group
// <applicationId>: fetch a partition batch, process it, send the outputs, commit the input offsets.
import {
  createKafka,
  GroupConsumer,
  RecordProducer,
  TopicAdmin,
  type BatchControl,
  type Kafka,
  type PartitionBatch,
  type TopicPartitionOffset,
} from "../kafka/index.ts";
import type { Topology } from "../topology/topology.ts";
import { environmentOverrides, resolveConfig, type WeirConfig, type WeirConfigInput } from "./config.ts";
import { WeirError } from "./errors.ts";
import { createLogger, type Logger } from "./logger.ts";
import { TaskManager } from "./task-manager.ts";

const appBrand = Symbol.for("weir.app");

/** What a topology module exports by default: the topology and the settings it was written for. */
export interface AppDefinition {
  readonly [appBrand]: true;
  readonly topology: Topology;
  readonly settings: Readonly<Partial<WeirConfigInput>>;
}

export function app(options: { readonly topology: Topology } & Partial<WeirConfigInput>): AppDefinition {
  const { topology, ...settings } = options;
  return { [appBrand]: true, topology, settings };
}

export function isAppDefinition(value: unknown): value is AppDefinition {
  return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[appBrand] === true;
}

type State = "created" | "starting" | "running" | "stopping" | "stopped" | "failed";

export class App {
  readonly config: WeirConfig;
  private readonly definition: AppDefinition;
  readonly logger: Logger;
  private readonly kafka: Kafka;
  private readonly tasks: TaskManager;
  private consumer: GroupConsumer | undefined;
  private producer: RecordProducer | undefined;
  private state: State = "created";
  private lastCommit = Date.now();
  private batchesInFlight = 0;
  private failure: Error | undefined;
  private stopped: Promise<void> | undefined;
  private resolveDone!: (error: Error | undefined) => void;
  /** Resolves when the app has stopped, with the error that stopped it if any. */
  readonly done: Promise<Error | undefined> = new Promise((resolve) => (this.resolveDone = resolve));

  /**
   * Settings are layered: the module's own, then WEIR_* environment variables, then `overrides`
   * (the CLI's flags). `bootstrapServers` falls back to KAFKA_BOOTSTRAP_SERVERS.
   */
  constructor(definition: AppDefinition, overrides: Record<string, unknown> = {}, env: NodeJS.ProcessEnv = process.env) {
    this.definition = definition;
    const fallback = env.KAFKA_BOOTSTRAP_SERVERS ? { bootstrapServers: env.KAFKA_BOOTSTRAP_SERVERS } : {};
    this.config = resolveConfig(fallback, definition.settings, environmentOverrides(env), overrides);
    this.logger = createLogger(this.config.logLevel, { app: this.config.applicationId });
    this.kafka = createKafka({ ...this.config.kafka, clientId: this.config.clientId, brokers: this.config.brokers }, this.logger);
    this.tasks = new TaskManager(definition.topology, this.config.applicationId, this.logger);
  }

  /** Checks the topics, joins the group and starts processing; resolves once the consumer runs. */
  async start(): Promise<void> {
    if (this.state !== "created") throw new Error(`start() called on an app that is ${this.state}`);
    this.state = "starting";
    const topology = this.definition.topology;
    await this.checkTopics(topology);
    this.producer = new RecordProducer(this.kafka);
    await this.producer.connect();
    this.consumer = new GroupConsumer(
      this.kafka,
      {
        groupId: this.config.applicationId,
        readCommitted: false,
        sessionTimeoutMs: this.config.sessionTimeoutMs,
        heartbeatIntervalMs: this.config.heartbeatIntervalMs,
        rebalanceTimeoutMs: 60000,
        partitionsConsumedConcurrently: this.config.partitionsConsumedConcurrently,
        maxBytesPerPartition: this.config.maxBytesPerPartition,
        maxWaitTimeMs: this.config.fetchMaxWaitMs,
      },
      this.logger,
    );
    await this.consumer.start(
      topology.sourceTopics(),
      (batch, control) => this.processBatch(batch, control),
      (assignment) => {
        this.logger.info({ assignment: Object.fromEntries(assignment) }, "partitions assigned");
        this.tasks.retain(assignment);
      },
    );
    this.state = "running";
    this.logger.info({ topics: topology.sourceTopics(), guarantee: this.config.processingGuarantee }, "app running");
  }

  /** Stops fetching, commits what was processed, leaves the group. Safe to call more than once. */
  stop(): Promise<void> {
    this.stopped ??= this.shutdown();
    return this.stopped;
  }

  private async shutdown(): Promise<void> {
    const wasRunning = this.state === "running" || this.state === "starting";
    this.state = "stopping";
    this.logger.info("app stopping");
    try {
      if (this.consumer && wasRunning) {
        // kafkajs forgets the group on stop(), so: pause fetching, let running batches finish, commit, then leave.
        this.consumer.pause(this.definition.topology.sourceTopics());
        while (this.batchesInFlight > 0) await new Promise((r) => setTimeout(r, 10));
        await this.commit();
      }
    } catch (err) {
      this.failure ??= err as Error;
      this.logger.error({ err }, "final commit failed");
    } finally {
      await this.consumer?.disconnect().catch((err: unknown) => this.logger.warn({ err }, "consumer did not leave cleanly"));
      await this.producer?.disconnect().catch((err: unknown) => this.logger.warn({ err }, "producer did not close cleanly"));
      this.tasks.closeAll();
      this.state = this.failure ? "failed" : "stopped";
      this.logger.info({ state: this.state }, "app stopped");
      this.resolveDone(this.failure);
    }
  }

  private async processBatch(batch: PartitionBatch, control: BatchControl): Promise<void> {
    if (this.state !== "running" && this.state !== "starting") return;
    this.batchesInFlight += 1;
    try {
      const owned = this.tasks.taskFor(batch.topic, batch.partition);
      let last: string | undefined;
      try {
        for (const message of batch.messages) {
          if (!control.isRunning() || control.isStale()) break;
          owned.task.process(batch.topic, message);
          last = message.offset;
        }
      } catch (err) {
        // A record the task cannot process stops the app: nothing past it is committed.
        this.fail(err as Error);
        return;
      }
      if (last === undefined) return;
      control.resolveOffset(last);
      // At-least-once: outputs are acknowledged before the offsets that cover them are committed.
      await this.producer!.send(owned.outputs.splice(0));
      owned.commitOffsets.set(batch.topic, (BigInt(last) + 1n).toString());
      if (this.state === "running" && Date.now() - this.lastCommit >= this.config.commitIntervalMs) await this.commit();
    } finally {
      this.batchesInFlight -= 1;
    }
  }

  private async commit(): Promise<void> {
    const offsets: TopicPartitionOffset[] = [];
    for (const owned of this.tasks.all()) {
      if (owned.outputs.length > 0) await this.producer!.send(owned.outputs.splice(0));
      for (const [topic, offset] of owned.commitOffsets) offsets.push({ topic, partition: owned.task.partition, offset });
      owned.commitOffsets.clear();
    }
    this.lastCommit = Date.now();
    await this.consumer!.commit(offsets);
  }

  private fail(error: Error): void {
    this.failure ??= error;
    this.logger.error({ err: error }, "task failed; stopping");
    void this.stop();
  }

  private async checkTopics(topology: Topology): Promise<void> {
    const admin = new TopicAdmin(this.kafka);
    try {
      const sources = topology.sourceTopics();
      const sinks = topology.sinkTopics();
      const counts = await admin.partitionCounts([...sources, ...sinks]);
      const missing = [...sources.map((t) => ["source", t] as const), ...sinks.map((t) => ["sink", t] as const)].filter(([, t]) => !counts.has(t));
      if (missing.length > 0) {
        throw new WeirError(
          "WEIR_TOPIC_MISSING",
          `${missing.map(([role, t]) => `${role} topic "${t}"`).join(", ")} ${missing.length === 1 ? "does" : "do"} not exist on ${this.config.brokers.join(",")}; create ${missing.length === 1 ? "it" : "them"} first (Weir creates only its own internal topics)`,
        );
      }
      for (const sub of topology.subTopologies) {
        const partitionCounts = new Set(sub.sourceTopics.map((t) => counts.get(t)));
        if (partitionCounts.size > 1) {
          throw new WeirError(
            "WEIR_TOPOLOGY_INVALID",
            `topics ${sub.sourceTopics.map((t) => `${t} (${counts.get(t)} partitions)`).join(", ")} are read by one sub-topology and must have the same number of partitions`,
          );
        }
      }
    } finally {
      await admin.close();
    }
  }
}
