// Connection settings as @platformatic/kafka takes them.
import type { BaseOptions } from "@platformatic/kafka";
import type { ClientSettings } from "../types.ts";

export function baseOptions(settings: ClientSettings, clientIdSuffix = ""): BaseOptions {
  const ssl = settings.ssl === true ? {} : settings.ssl === false || settings.ssl === undefined ? undefined : { ...settings.ssl };
  return {
    clientId: `${settings.clientId}${clientIdSuffix}`,
    bootstrapBrokers: [...settings.brokers],
    connectTimeout: settings.connectionTimeoutMs,
    timeout: settings.requestTimeoutMs,
    // Retried for about half a minute (a broker restart): the runtime treats what outlives that as fatal.
    retries,
    retryDelay,
    ...(ssl ? { tls: ssl } : {}),
    ...(settings.sasl ? { sasl: { mechanism: settings.sasl.mechanism.toUpperCase() as "PLAIN", username: settings.sasl.username, password: settings.sasl.password } } : {}),
  };
}

const retries = 30;

/** A protocol error's id (e.g. "CONCURRENT_TRANSACTIONS") anywhere in an error or the errors it carries. */
function hasProtocolError(err: unknown, id: string, depth = 0): boolean {
  if (typeof err !== "object" || err === null || depth > 4) return false;
  const e = err as { apiId?: unknown; errors?: unknown };
  if (e.apiId === id) return true;
  return Array.isArray(e.errors) && e.errors.some((inner) => hasProtocolError(inner, id, depth + 1));
}

/**
 * The wait before retry `attempt` (1, 2, …), as Kafka's Java client backs off: exponentially from
 * retry.backoff.ms (100 ms) to retry.backoff.max.ms (1 s). CONCURRENT_TRANSACTIONS starts at 20 ms (the
 * Java producer's backoff for it): the broker answers it to AddPartitionsToTxn while the previous
 * transaction's markers are still being written, which lasts milliseconds. A fixed 500 ms here made a
 * transaction that adds a partition right after a commit wait half a second, and an instance of 96 tasks
 * ran at 610 records/s instead of 2,700 (bench W9, docs/architecture.md "Exactly-once, per client").
 */
export function retryDelay(_client: unknown, _operationId: string, attempt: number, _retries: number, err: Error): number {
  const first = hasProtocolError(err, "CONCURRENT_TRANSACTIONS") ? 20 : 100;
  return Math.min(1000, first * 2 ** Math.max(0, attempt - 1));
}
