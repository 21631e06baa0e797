// Structured JSON logs on stderr (stdout stays free for what a command prints), one line per lifecycle event.
import { pino, type Logger } from "pino";

export type { Logger };

export function createLogger(level: string, bindings: Record<string, unknown> = {}): Logger {
  return pino({ level, base: { pid: process.pid, ...bindings } }, pino.destination({ fd: 2, sync: true }));
}
