// Connection settings as @platformatic/kafka takes them.
import type { BaseOptions } from "@platformatic/kafka";
import type { ClientSettings } from "../types.ts";
import { protocolErrorIds } from "./errors.ts";

export function baseOptions(settings: ClientSettings, clientIdSuffix = ""): BaseOptions {
  const ssl = settings.ssl === true ? {} : settings.ssl === false || settings.ssl === undefined ? undefined : { ...settings.ssl };
  return {
    clientId: `${settings.clientId}${clientIdSuffix}`,
    bootstrapBrokers: [...settings.brokers],
    connectTimeout: settings.connectionTimeoutMs,
    // `requestTimeout` is how long the client waits for an answer; `timeout` is what requests tell the broker
    // to wait (Produce's acks, CreateTopics).
    requestTimeout: settings.requestTimeoutMs,
    timeout: settings.requestTimeoutMs,
    // Retried for about half a minute (a broker restart): the runtime treats what outlives that as fatal.
    retries,
    retryDelay,
    ...(ssl ? { tls: ssl } : {}),
    ...(settings.sasl ? { sasl: { mechanism: settings.sasl.mechanism.toUpperCase() as "PLAIN", username: settings.sasl.username, password: settings.sasl.password } } : {}),
  };
}

export const retries = 30;

/**
 * The wait before retry `attempt` (1, 2, …), as Kafka's Java client backs off: exponentially from
 * retry.backoff.ms (100 ms) to retry.backoff.max.ms (1 s), and from 20 ms for CONCURRENT_TRANSACTIONS (the Java
 * producer's backoff for it): AddPartitionsToTxn gets it while the previous transaction's markers are still being
 * written, which lasts milliseconds (docs/architecture.md "Exactly-once, per client"). Measured (bench W5, 5,000
 * records/s, exactly-once, 30 s): p50/p99 65/134 ms, against 132/310 ms when it also waited 100 ms. Before, a fixed
 * 500 ms: an instance of 96 tasks counted 20,000 records in 34.7 s, not 1.3 s (bench W9).
 */
export function retryDelay(_client: unknown, _operationId: string, attempt: number, _retries: number, err: unknown): number {
  const first = protocolErrorIds(err).includes("CONCURRENT_TRANSACTIONS") ? 20 : 100;
  return Math.min(1000, first * 2 ** Math.max(0, attempt - 1));
}
