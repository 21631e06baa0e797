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

/**
 * The wait before retry `attempt` (1, 2, …), as Kafka's Java client backs off: exponentially from
 * retry.backoff.ms (100 ms) to retry.backoff.max.ms (1 s). Before, a fixed 500 ms: a transaction that adds a
 * partition while the previous one's markers are still being written gets CONCURRENT_TRANSACTIONS from
 * AddPartitionsToTxn, and then waited half a second; an instance of 96 tasks counted 20,000 records in 34.7 s, not
 * 1.3 s (bench W9, docs/architecture.md "Exactly-once, per client"). Not shorter for CONCURRENT_TRANSACTIONS (the
 * Java producer retries it after 20 ms): a task whose partition comes to its end at every fetch then commits back
 * to back, its transaction is open most of the time, a SIGKILL nearly always leaves one open, and the task's new
 * owner waits for the broker to abort it (bench W7: 32–38 s to resume instead of 10–13 s). 100 ms keeps such
 * commits about a commit interval apart.
 */
export function retryDelay(_client: unknown, _operationId: string, attempt: number): number {
  return Math.min(1000, 100 * 2 ** Math.max(0, attempt - 1));
}
