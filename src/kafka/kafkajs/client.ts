// Builds the kafkajs client and routes its logs into the application's logger.
import { createRequire } from "node:module";
import { Kafka, logLevel, type LogEntry } from "kafkajs";
import type { Logger } from "pino";
import type { ClientSettings } from "../types.ts";

const levels: Record<number, "error" | "warn" | "info" | "debug"> = {
  [logLevel.ERROR]: "error",
  [logLevel.WARN]: "warn",
  [logLevel.INFO]: "info",
  [logLevel.DEBUG]: "debug",
};

/**
 * Error messages (kafkajs's wording) of conditions clients retry as routine, as the Java client does
 * silently: a rebalance in progress, a coordinator or a partition leader moving or loading, and a
 * concurrent transaction (right after a transaction commits the broker is still writing its markers, so
 * the next transaction's first AddPartitionsToTxn is answered CONCURRENT_TRANSACTIONS).
 */
const routineRetries = [
  "another concurrent operation on the same transaction", // CONCURRENT_TRANSACTIONS
  "The group is rebalancing, so a rejoin is needed", // REBALANCE_IN_PROGRESS
  "This is not the correct coordinator for this group", // NOT_COORDINATOR
  "The coordinator is loading and hence can't process requests", // COORDINATOR_LOAD_IN_PROGRESS
  "The group coordinator is not available", // COORDINATOR_NOT_AVAILABLE
  "This server is not the leader for that topic-partition", // NOT_LEADER_OR_FOLLOWER
  "There is no leader for this topic-partition", // LEADER_NOT_AVAILABLE
];

/** True when `error` (or its cause) is a condition retried as routine (see `routineRetries`). */
export function isRoutineRetry(error: unknown): boolean {
  for (let e = error, depth = 0; e !== undefined && e !== null && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const text = typeof e === "string" ? e : (e as { message?: unknown }).message;
    if (typeof text === "string" && routineRetries.some((r) => text.includes(r))) return true;
  }
  return false;
}

/**
 * The level of a kafkajs log line in the application's log. kafkajs logs at ERROR much that it retries:
 * - an error response it retries as routine (`isRoutineRetry`): debug;
 * - "Crash: …" and "Restarting the consumer in …": debug, since the adapter reports every consumer crash
 *   itself (consumer.ts: a warning when kafkajs restarts the consumer, WEIR_CONSUMER_LOST when it gives up);
 * - a broker it cannot reach and retries ("Connection error", "Failed to connect …"): a warning; if the
 *   retries run out, the crash that follows is reported as above;
 * - "The group is rebalancing, re-joining" (a warning in kafkajs): info.
 * kafkajs also warns "Limiting retries for the idempotent producer may invalidate EoS guarantees" for every
 * producer with a retry limit. Weir limits retries only on transactional producers (task-output.ts), where
 * a send that runs out of retries fails the commit and its transaction is aborted: debug.
 * Anything else keeps kafkajs's level.
 */
export function logLevelOf(level: number, message: string, error: unknown): "error" | "warn" | "info" | "debug" {
  if (message.startsWith("Response ") && isRoutineRetry(error)) return "debug";
  if (message.startsWith("Limiting retries for the idempotent producer")) return "debug";
  if (message.startsWith("Crash: ") || message.startsWith("Restarting the consumer in ")) return "debug";
  if (message.startsWith("The group is rebalancing, re-joining")) return "info";
  const kafkajsLevel = levels[level] ?? "info";
  if (kafkajsLevel === "error" && (message.startsWith("Connection error") || message.startsWith("Failed to connect to"))) return "warn";
  return kafkajsLevel;
}

/** How a consumer crash kafkajs recovers from by itself is logged: info when routine, else a warning. */
export function restartedCrashLevel(error: unknown): "info" | "warn" {
  return isRoutineRetry(error) ? "info" : "warn";
}

interface RequestQueueInternals {
  throttledUntil: number;
  throttleCheckTimeoutId: NodeJS.Timeout | null;
  pending: unknown[];
  checkPendingRequests(): void;
}

/**
 * kafkajs 2.2.4 schedules its throttle check `throttledUntil - now` ms ahead even when it was never throttled
 * (throttledUntil = -1), a negative delay Node 24 reports as TimeoutNegativeWarning on every connection. The
 * same schedule with the delay clamped at 0 (10 ms when requests are pending, as kafkajs does).
 */
function clampThrottleCheck(): void {
  const { prototype } = createRequire(import.meta.url)("kafkajs/src/network/requestQueue/index.js") as { prototype: { scheduleCheckPendingRequests(this: RequestQueueInternals): void } };
  prototype.scheduleCheckPendingRequests = function (this: RequestQueueInternals) {
    if (this.throttleCheckTimeoutId) return;
    const throttled = Math.max(0, this.throttledUntil - Date.now());
    const delay = throttled === 0 && this.pending.length > 0 ? 10 : throttled;
    this.throttleCheckTimeoutId = setTimeout(() => {
      this.throttleCheckTimeoutId = null;
      this.checkPendingRequests();
    }, delay);
  };
}
clampThrottleCheck();

export function createKafka(settings: ClientSettings, logger: Logger): Kafka {
  const log = logger.child({ component: "kafkajs" });
  return new Kafka({
    clientId: settings.clientId,
    brokers: [...settings.brokers],
    ssl: settings.ssl,
    sasl: settings.sasl as never,
    connectionTimeout: settings.connectionTimeoutMs,
    requestTimeout: settings.requestTimeoutMs,
    // kafkajs logs routine rebalance chatter at INFO; the runtime logs lifecycle events itself.
    logLevel: logLevel.WARN,
    logCreator:
      () =>
      ({ level, log: entry }: LogEntry) => {
        const { message, ...rest } = entry;
        log[logLevelOf(level, message, rest.error)](rest, message);
      },
  });
}
