// Structured JSON logs on stderr (stdout stays free for what a command prints), one line per lifecycle event.
import { pino, type Logger } from "pino";

export type { Logger };

/** A worker of `weir run --workers` (WEIR_WORKER_INDEX, set by its supervisor) logs `worker: <i>` on every line. */
export function createLogger(level: string, bindings: Record<string, unknown> = {}): Logger {
  const index = process.env.WEIR_WORKER_INDEX;
  const worker = index !== undefined && /^\d+$/.test(index) ? { worker: Number(index) } : {};
  return pino({ level, base: { pid: process.pid, ...worker, ...bindings } }, pino.destination({ fd: 2, sync: true }));
}
