// What `weir` prints and exits with when a command fails: one message that says what to do, and the exit code
// the README documents (0 ok, 1 failed while running, 2 usage / configuration / module, 3 a topic is missing).
import { BrokerUnreachableError } from "../kafka/reachability.ts";
import { WeirError } from "../runtime/errors.ts";

export const exitCodes = { ok: 0, failed: 1, usage: 2, topicMissing: 3 } as const;

export interface FailureReport {
  readonly message: string;
  readonly exitCode: number;
}

const startBroker = "start a local one with `eval \"$(weir dev)\"` (or `make broker` in Weir's checkout), or point --bootstrap-servers / KAFKA_BOOTSTRAP_SERVERS at yours";

/** The address in a Node `listen EADDRINUSE: address already in use 127.0.0.1:8080` error. */
function addressInUse(err: NodeJS.ErrnoException & { address?: string; port?: number }): string {
  if (err.address !== undefined && err.port !== undefined) return `${err.address}:${err.port}`;
  return /in use (\S+)/.exec(err.message)?.[1] ?? "the HTTP port";
}

export function failureReport(err: unknown): FailureReport {
  if (err instanceof BrokerUnreachableError) {
    return { message: `weir: ${err.code}: ${err.message}: ${startBroker}`, exitCode: exitCodes.failed };
  }
  const errno = err as NodeJS.ErrnoException | undefined;
  if (errno?.code === "EADDRINUSE" && errno.syscall === "listen") {
    return {
      message:
        `weir: the HTTP server cannot listen on ${addressInUse(errno)}: the address is in use (another Weir app on this machine?); ` +
        "pass --http-port <port>, or --http-port 0 / WEIR_HTTP_PORT=0 for a free port (logged at start)",
      exitCode: exitCodes.usage,
    };
  }
  const text = err instanceof Error ? err.message : String(err);
  // A broker that went away after the start check: the client's error names ECONNREFUSED somewhere in its message.
  if (/ECONNREFUSED/.test(text)) return { message: `weir: ${text}: no Kafka broker answers; ${startBroker}`, exitCode: exitCodes.failed };
  const code = err instanceof WeirError ? err.code : (err as { code?: unknown } | undefined)?.code;
  const exitCode =
    code === "WEIR_TOPIC_MISSING"
      ? exitCodes.topicMissing
      : code === "WEIR_CONFIG_INVALID" || code === "WEIR_MODULE_INVALID" || code === "WEIR_TOPOLOGY_INVALID"
        ? exitCodes.usage
        : exitCodes.failed;
  return { message: `weir: ${text}`, exitCode };
}
