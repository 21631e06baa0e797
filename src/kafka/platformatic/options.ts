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
    // Retried for about a minute (a broker restart): the runtime treats what outlives that as fatal.
    retries: 30,
    retryDelay: 500,
    ...(ssl ? { tls: ssl } : {}),
    ...(settings.sasl ? { sasl: { mechanism: settings.sasl.mechanism.toUpperCase() as "PLAIN", username: settings.sasl.username, password: settings.sasl.password } } : {}),
  };
}
