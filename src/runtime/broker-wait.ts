// Start-up's wait for the Kafka broker: a broker that does not accept connections yet (restarting, or started
// after the app) is retried with exponential backoff until startupTimeoutMs, then start-up fails with
// WEIR_BROKER_UNREACHABLE. docs/architecture.md, "Static membership, start-up and shutdown".
import type { Logger } from "pino";
import { BrokerUnreachableError, ensureBrokerReachable } from "../kafka/reachability.ts";

export interface BrokerWaitOptions {
  readonly brokers: readonly string[];
  /** startupTimeoutMs: how long to keep retrying. */
  readonly timeoutMs: number;
  /** How long one connection attempt may take. */
  readonly connectionTimeoutMs: number;
  /** Stops the wait (the app is stopping): the wait resolves at once, without an error. */
  readonly signal: AbortSignal;
  readonly logger: Logger;
  /** Why the app is waiting (for /ready), or undefined once it waits no more. */
  readonly onWaiting: (reason: string | undefined) => void;
  /** The first retry's delay; doubled after each failed attempt up to `maxDelayMs`. */
  readonly firstDelayMs?: number;
  readonly maxDelayMs?: number;
}

/** Resolves once a bootstrap broker accepts a connection, or the signal aborts; rejects with BrokerUnreachableError at the timeout. */
export async function waitForBroker(options: BrokerWaitOptions): Promise<void> {
  const { brokers, timeoutMs, signal, logger } = options;
  const deadline = Date.now() + timeoutMs;
  let delay = options.firstDelayMs ?? 250;
  try {
    while (!signal.aborted) {
      try {
        await ensureBrokerReachable(brokers, Math.max(1, Math.min(options.connectionTimeoutMs, deadline - Date.now())));
        return;
      } catch (err) {
        if (!(err instanceof BrokerUnreachableError)) throw err;
        const left = deadline - Date.now();
        if (left <= 0) throw new BrokerUnreachableError(brokers, err.reasons, timeoutMs);
        const retryInMs = Math.min(delay, left);
        options.onWaiting(`waiting for the Kafka broker at ${brokers.join(", ")} (${err.reasons.join("; ")}): retrying until startupTimeoutMs (${timeoutMs} ms)`);
        logger.warn({ brokers, reasons: err.reasons, retryInMs, startupTimeoutMs: timeoutMs }, `broker unreachable, retrying in ${retryInMs} ms`);
        await sleep(retryInMs, signal);
        delay = Math.min(delay * 2, options.maxDelayMs ?? 5000);
      }
    }
  } finally {
    options.onWaiting(undefined);
  }
}

/** Resolves after `ms`, or at once when `signal` aborts; leaves no timer behind. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}
