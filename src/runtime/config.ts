// The application's configuration: one typed schema, validated at start, overridable from WEIR_* variables.
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { z } from "zod";
import { DEFAULT_PAGE_CACHE_BYTES } from "../state/types.ts";
import { WeirError } from "./errors.ts";

const logLevels = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

const errorHandler = z.enum(["fail", "logAndContinue", "deadLetter"]);

const kafkaSettings = z
  .object({
    ssl: z
      .union([
        z.boolean(),
        z.object({ rejectUnauthorized: z.boolean().optional(), ca: z.string().optional(), cert: z.string().optional(), key: z.string().optional() }).strict(),
      ])
      .optional(),
    sasl: z
      .object({ mechanism: z.enum(["plain", "scram-sha-256", "scram-sha-512"]), username: z.string(), password: z.string() })
      .strict()
      .optional(),
    connectionTimeoutMs: z.number().int().min(1).default(3000),
    requestTimeoutMs: z.number().int().min(1).default(30000),
  })
  .strict();

export const configSchema = z
  .object({
    applicationId: z.string().regex(/^[A-Za-z0-9._-]+$/, "only letters, digits, '.', '_' and '-' (it names the group and internal topics)"),
    bootstrapServers: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]),
    processingGuarantee: z.enum(["exactly_once", "at_least_once"]).default("exactly_once"),
    /** Kafka Streams' defaults: 100 ms under exactly-once, 30 s at-least-once. */
    commitIntervalMs: z.number().int().min(1).optional(),
    /** The write cache of each task's stores, in bytes of keys and values; 0 writes every update through. */
    cacheMaxBytes: z.number().int().min(0).default(10 * 1024 * 1024),
    /**
     * Kafka Streams' statestore.cache.max.bytes: the record cache of the instance, shared by its tasks; the
     * stores of KTable-producing aggregations forward only each key's latest update per commit. 0 (default): off.
     */
    statestoreCacheMaxBytes: z.number().int().min(0).default(0),
    /** SQLite's page cache of each task's state file, in bytes (SQLite's own default is 2 MB). */
    statePageCacheBytes: z.number().int().min(65536).default(DEFAULT_PAGE_CACHE_BYTES),
    /** A producer's transaction left open (its owner died mid-commit) is aborted by the broker after this. */
    transactionTimeoutMs: z.number().int().min(1000).default(10000),
    stateDir: z.string().min(1).default(join(tmpdir(), "weir")),
    /** Kafka Streams' repartition.purge.interval.ms: how often consumed repartition records are deleted. */
    repartitionPurgeIntervalMs: z.number().int().min(1).default(30000),
    clientId: z.string().min(1).optional(),
    logLevel: z.enum(logLevels).default("info"),
    sessionTimeoutMs: z.number().int().min(1000).default(45000),
    heartbeatIntervalMs: z.number().int().min(100).default(3000),
    /**
     * Kafka Streams' max.task.idle.ms. A task with several input partitions (a stream of two topics, a
     * join's two sides) takes their records in timestamp order; while one partition has nothing buffered the
     * task waits for it: 0 only while records are on the broker not fetched yet, > 0 also that long for new
     * records once caught up, -1 never.
     */
    maxTaskIdleMs: z.number().int().min(-1).default(0),
    /**
     * Kafka Streams' num.standby.replicas: how many other instances keep a copy of each stateful task's stores
     * by reading its changelogs (docs/architecture.md, "Standby replicas"). 0 (default): none.
     */
    numStandbyReplicas: z.number().int().min(0).default(0),
    /**
     * Kafka Streams' acceptable.recovery.lag: an instance whose copy of a task's stores is at most this many
     * changelog records behind counts as caught up, and may be given the task as active (docs/architecture.md,
     * "Warm-up replicas and probing rebalances").
     */
    acceptableRecoveryLag: z.number().int().min(0).default(10000),
    /** Kafka Streams' max.warmup.replicas: how many warm-up replicas (standbys preparing a move) the group has at once. */
    maxWarmupReplicas: z.number().int().min(1).default(2),
    /**
     * Kafka Streams' probing.rebalance.interval.ms: while warm-up replicas are placed, the group leader's instance
     * starts a rebalance this often, to hand over the tasks whose warm-up has caught up.
     */
    probingRebalanceIntervalMs: z.number().int().min(1000).default(600000),
    /**
     * How many partitions' batches of one fetch are processed at once (they share the event loop, and the commits
     * they come to share transactions). The default, 1000, is in effect every partition of the fetch, as Kafka
     * Streams' stream thread takes all its tasks' records before committing them together: with 3, an instance of
     * 96 tasks waited on a transaction per 3 partitions (docs/architecture.md "Exactly-once, per client").
     */
    partitionsConsumedConcurrently: z.number().int().min(1).default(1000),
    maxBytesPerPartition: z.number().int().min(1024).default(1048576),
    /** Kafka's fetch.max.wait.ms default; kafkajs's own 5 s also delays every shutdown by that much. */
    fetchMaxWaitMs: z.number().int().min(0).default(500),
    /** The HTTP endpoints (/metrics, /health, /ready, /topology, /tasks, the dashboard); false turns them off. */
    httpEnabled: z.boolean().default(true),
    /** 0 picks a free port (logged at start). */
    httpPort: z.number().int().min(0).max(65535).default(8080),
    /** Loopback by default; 0.0.0.0 in a container. */
    httpHost: z.string().min(1).default("127.0.0.1"),
    /**
     * `host:port` where other instances reach this one's HTTP server, advertised to the group for
     * interactive queries and the multi-instance /tasks (Kafka Streams' application.server). Default: the
     * HTTP server's own address (the machine's host name when it listens on every interface).
     */
    applicationServer: z
      .string()
      .regex(/^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+):\d{1,5}$/, "host:port, as other instances reach this one's HTTP server")
      .optional(),
    /** SIGTERM/SIGINT: the longest a graceful shutdown may take before the process exits anyway (code 1). */
    shutdownTimeoutMs: z.number().int().min(1).default(30000),
    /**
     * How long start-up waits for an unreachable broker, retrying with backoff, before it fails with
     * WEIR_BROKER_UNREACHABLE (docs/architecture.md, "Static membership, start-up and shutdown").
     */
    startupTimeoutMs: z.number().int().min(1).default(60000),
    /**
     * Kafka's group.instance.id (static membership, KIP-345): a member that restarts within
     * `sessionTimeoutMs` under the same id gets its assignment back without a rebalance, and a stopping one
     * does not leave the group. Unique per instance; @platformatic/kafka only.
     */
    groupInstanceId: z
      .string()
      .max(249)
      .regex(/^[A-Za-z0-9._-]+$/, "only letters, digits, '.', '_' and '-', as Kafka's group.instance.id")
      .optional(),
    kafka: kafkaSettings.default({ connectionTimeoutMs: 3000, requestTimeoutMs: 30000 }),
    /** The Kafka client library under the runtime: @platformatic/kafka (default) or kafkajs (docs/architecture.md, "The Kafka client port"). */
    kafkaClient: z.enum(["platformatic", "kafkajs"]).default("platformatic"),
    /** A record a source's serdes cannot read; a source may override it (`Consumed`). */
    deserializationErrorHandler: errorHandler.default("fail"),
    /** A record a processor throws on; a source may override it (`Consumed`). */
    processingErrorHandler: errorHandler.default("fail"),
    /** An output a sink cannot serialize or that is larger than its topic accepts; a sink may override it (`Produced`). */
    productionErrorHandler: errorHandler.default("fail"),
    /**
     * Where `deadLetter` writes; default `<applicationId>-dlq`, which Weir creates when missing. A topic
     * named here must exist, like every topic the application does not own.
     */
    deadLetterTopic: z.string().regex(/^[A-Za-z0-9._-]+$/, "a topic name: only letters, digits, '.', '_' and '-'").optional(),
  })
  .strict();

export type WeirConfigInput = z.input<typeof configSchema>;
export type WeirConfig = z.output<typeof configSchema> & {
  readonly brokers: readonly string[];
  readonly clientId: string;
  readonly commitIntervalMs: number;
  readonly deadLetterTopic: string;
  /** True when `deadLetterTopic` is the default `<applicationId>-dlq`, which Weir creates. */
  readonly deadLetterTopicIsInternal: boolean;
};

/** Settings a WEIR_* environment variable may override, with how to read the variable's text. */
const fromEnvironment: Record<string, "string" | "number" | "boolean"> = {
  httpEnabled: "boolean",
  httpPort: "number",
  httpHost: "string",
  applicationServer: "string",
  shutdownTimeoutMs: "number",
  startupTimeoutMs: "number",
  groupInstanceId: "string",
  applicationId: "string",
  bootstrapServers: "string",
  processingGuarantee: "string",
  commitIntervalMs: "number",
  maxTaskIdleMs: "number",
  numStandbyReplicas: "number",
  acceptableRecoveryLag: "number",
  maxWarmupReplicas: "number",
  probingRebalanceIntervalMs: "number",
  cacheMaxBytes: "number",
  statestoreCacheMaxBytes: "number",
  statePageCacheBytes: "number",
  transactionTimeoutMs: "number",
  stateDir: "string",
  repartitionPurgeIntervalMs: "number",
  clientId: "string",
  logLevel: "string",
  sessionTimeoutMs: "number",
  heartbeatIntervalMs: "number",
  partitionsConsumedConcurrently: "number",
  maxBytesPerPartition: "number",
  fetchMaxWaitMs: "number",
  deserializationErrorHandler: "string",
  processingErrorHandler: "string",
  productionErrorHandler: "string",
  deadLetterTopic: "string",
  kafkaClient: "string",
};

export function envName(setting: string): string {
  return "WEIR_" + setting.replace(/[A-Z]/g, (c) => "_" + c).toUpperCase();
}

/** The names of the WEIR_* variables that override a setting. */
export function settingVariables(): string[] {
  return Object.keys(fromEnvironment).map(envName);
}

/** The WEIR_* variables that are set, as config overrides. A number that is not one stays text so validation names it. */
export function environmentOverrides(env: NodeJS.ProcessEnv): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [setting, kind] of Object.entries(fromEnvironment)) {
    const raw = env[envName(setting)];
    if (raw === undefined || raw === "") continue;
    const text = raw.trim();
    if (kind === "number" && /^-?\d+(\.\d+)?$/.test(text)) out[setting] = Number(text);
    else if (kind === "boolean" && (text === "true" || text === "false")) out[setting] = text === "true";
    else out[setting] = raw;
  }
  return out;
}

/** Validates the merged settings; an invalid or unknown one fails naming the setting, the value and what is allowed. */
export function resolveConfig(...layers: readonly Record<string, unknown>[]): WeirConfig {
  const merged: Record<string, unknown> = {};
  for (const layer of layers) Object.assign(merged, layer);
  const parsed = configSchema.safeParse(merged);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => describeIssue(issue, merged));
    throw new WeirError("WEIR_CONFIG_INVALID", problems.join("; "));
  }
  const config = parsed.data;
  if (config.groupInstanceId !== undefined && config.kafkaClient === "kafkajs") {
    throw new WeirError(
      "WEIR_CONFIG_INVALID",
      `groupInstanceId: static membership needs kafkaClient "platformatic" (kafkajs has no group.instance.id); remove groupInstanceId or drop kafkaClient "kafkajs", got groupInstanceId ${JSON.stringify(config.groupInstanceId)} with kafkaClient "kafkajs"`,
    );
  }
  const brokers = (typeof config.bootstrapServers === "string" ? config.bootstrapServers.split(",") : config.bootstrapServers)
    .map((b) => b.trim())
    .filter((b) => b.length > 0);
  return {
    ...config,
    brokers,
    clientId: config.clientId ?? `${config.applicationId}-${hostname()}-${process.pid}`,
    commitIntervalMs: config.commitIntervalMs ?? (config.processingGuarantee === "exactly_once" ? 100 : 30000),
    deadLetterTopic: config.deadLetterTopic ?? `${config.applicationId}-dlq`,
    deadLetterTopicIsInternal: config.deadLetterTopic === undefined || config.deadLetterTopic === `${config.applicationId}-dlq`,
  };
}

function describeIssue(issue: z.core.$ZodIssue, input: Record<string, unknown>): string {
  if (issue.code === "unrecognized_keys") {
    const where = issue.path.length > 0 ? `${issue.path.join(".")}.` : "";
    return `unknown setting ${issue.keys.map((k) => where + k).join(", ")} (known: ${knownKeys(issue.path).join(", ")})`;
  }
  const path = issue.path.join(".");
  const value = issue.path.reduce<unknown>((v, k) => (v as Record<PropertyKey, unknown> | undefined)?.[k], input);
  const got = value === undefined ? "it is missing" : `got ${JSON.stringify(value)}`;
  return `${path || "(config)"}: ${issue.message}, ${got}`;
}

function knownKeys(path: readonly PropertyKey[]): string[] {
  return path[0] === "kafka" ? Object.keys(kafkaSettings.shape) : Object.keys(configSchema.shape);
}
