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
 * kafkajs logs every error response at ERROR, also those it retries. Right after a transaction commits the
 * broker is still writing its markers, so the next transaction's first AddPartitionsToTxn is answered
 * CONCURRENT_TRANSACTIONS and retried (as the Java producer does, silently): routine, logged at debug.
 *
 * kafkajs also warns "Limiting retries for the idempotent producer may invalidate EoS guarantees" for every
 * producer with a retry limit. Weir limits retries only on transactional producers (task-output.ts), where
 * a send that runs out of retries fails the commit and its transaction is aborted: nothing is written twice.
 * That warning is logged at debug too.
 */
export function logLevelOf(level: number, message: string, error: unknown): "error" | "warn" | "info" | "debug" {
  if (message.startsWith("Response ") && typeof error === "string" && error.includes("another concurrent operation on the same transaction")) return "debug";
  if (message.startsWith("Limiting retries for the idempotent producer")) return "debug";
  return levels[level] ?? "info";
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
