// What `weir run --workers N` does when a worker exits while the service runs (docs/architecture.md, "Workers").

/** Exit codes a restart cannot fix: 2 bad configuration or module, 3 a topic is missing (src/cli/failure-report.ts). */
const permanent = new Set([2, 3]);

export type ExitDecision =
  | { readonly action: "restart"; readonly delayMs: number }
  /** Stop every worker; the service exits with `exitCode`. */
  | { readonly action: "stop"; readonly exitCode: number; readonly reason: string };

export interface RestartLimits {
  /** More restarts than this within `windowMs`, across all workers, stop the service (exit 1). */
  readonly maxRestarts: number;
  readonly windowMs: number;
  /** The first restart of a worker waits this long; each further one within the window twice as long, up to `maxDelayMs`. */
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

/** 3 restarts per worker per minute, after 1 s, 2 s, 4 s: a crash loop ends the service for its own supervisor to see. */
export function defaultLimits(workers: number): RestartLimits {
  return { maxRestarts: 3 * workers, windowMs: 60_000, baseDelayMs: 1000, maxDelayMs: 30_000 };
}

/**
 * A crash, SIGKILL or OOM of a running worker restarts it (same index, same state dir) after a backoff, as an
 * orchestrator restarts a separate instance; exit 2 or 3 stops the service with that code.
 */
export class RestartPolicy {
  private readonly restarts: { index: number; at: number }[] = [];
  private readonly limits: RestartLimits;

  constructor(limits: RestartLimits) {
    this.limits = limits;
  }

  onExit(index: number, code: number | null, now: number): ExitDecision {
    if (code !== null && permanent.has(code)) {
      return { action: "stop", exitCode: code, reason: `worker ${index} exited with ${code}, which a restart does not fix` };
    }
    const since = now - this.limits.windowMs;
    while (this.restarts.length > 0 && this.restarts[0]!.at <= since) this.restarts.shift();
    if (this.restarts.length >= this.limits.maxRestarts) {
      return {
        action: "stop",
        exitCode: 1,
        reason: `${this.restarts.length} worker restarts within ${this.limits.windowMs} ms (the limit is ${this.limits.maxRestarts}): stopping the service`,
      };
    }
    const earlier = this.restarts.filter((r) => r.index === index).length;
    this.restarts.push({ index, at: now });
    return { action: "restart", delayMs: Math.min(this.limits.maxDelayMs, this.limits.baseDelayMs * 2 ** earlier) };
  }
}
