// Builds the kafkajs client and routes its logs into the application's logger.
import { Kafka, logLevel, type LogEntry } from "kafkajs";
import type { Logger } from "pino";
import type { ClientSettings } from "./types.ts";

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
 */
export function logLevelOf(level: number, message: string, error: unknown): "error" | "warn" | "info" | "debug" {
  if (message.startsWith("Response ") && typeof error === "string" && error.includes("another concurrent operation on the same transaction")) return "debug";
  return levels[level] ?? "info";
}

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
