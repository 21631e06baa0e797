// Whether any bootstrap broker accepts a TCP connection, checked before a client starts: a client retrying a
// dead address logs an error per attempt before it gives up, which buries the one thing to say.
import { connect } from "node:net";

export class BrokerUnreachableError extends Error {
  readonly code = "WEIR_BROKER_UNREACHABLE";
  readonly brokers: readonly string[];
  /** Per broker, why it did not answer. */
  readonly reasons: readonly string[];
  /** `waitedMs`: how long start-up retried (startupTimeoutMs) before giving up; absent for a single check. */
  constructor(brokers: readonly string[], reasons: readonly string[], waitedMs?: number) {
    const waited = waitedMs === undefined ? "" : `, retried with backoff for startupTimeoutMs (${waitedMs} ms)`;
    super(`no Kafka broker at ${brokers.join(", ")} (${reasons.join("; ")})${waited}`);
    this.name = "BrokerUnreachableError";
    this.brokers = brokers;
    this.reasons = reasons;
  }
}

/** `host:port` (or `[v6]:port`) as host and port; a missing port is Kafka's 9092. */
export function brokerAddress(broker: string): { host: string; port: number } {
  const match = /^\[?([^\]]*?)\]?(?::(\d+))?$/.exec(broker.trim());
  const host = match?.[1] ?? broker;
  return { host: host.length > 0 ? host : "localhost", port: match?.[2] === undefined ? 9092 : Number(match[2]) };
}

function tryConnect(broker: string, timeoutMs: number): Promise<string | undefined> {
  const { host, port } = brokerAddress(broker);
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (reason: string | undefined) => {
      socket.destroy();
      resolve(reason);
    };
    socket.setTimeout(timeoutMs, () => done(`${broker}: no answer within ${timeoutMs} ms`));
    socket.once("connect", () => done(undefined));
    socket.once("error", (err: NodeJS.ErrnoException) => done(`${broker}: ${err.code ?? err.message}`));
  });
}

/** Resolves once one of the brokers accepts a connection; rejects with BrokerUnreachableError when none does. */
export async function ensureBrokerReachable(brokers: readonly string[], timeoutMs = 3000): Promise<void> {
  const reasons = await Promise.all(brokers.map((b) => tryConnect(b, timeoutMs)));
  if (reasons.some((r) => r === undefined)) return;
  throw new BrokerUnreachableError(brokers, reasons.filter((r): r is string => r !== undefined));
}
