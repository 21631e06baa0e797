// A task whose next batch needs a schema the registry cannot give right now waits here, retrying with
// backoff, instead of skipping records or failing: nothing past the waiting batch is processed or
// committed. The wait stays inside kafkajs's batch handler, which heartbeats, so the member keeps its
// partitions; it gives up (the batch stays unprocessed and is fetched again) on a rebalance or shutdown.
import type { BatchControl, PartitionBatch } from "../kafka/index.ts";
import type { WeirMetrics } from "../metrics/metrics.ts";
import { SerdeUnavailableError } from "../serdes/serde.ts";
import type { Logger } from "./logger.ts";
import type { StreamTask } from "./stream-task.ts";

export interface WarmUpWait {
  readonly task: string;
  readonly logger: Logger;
  readonly metrics: WeirMetrics;
  /** Tells the group the member is alive; throws when a rebalance is under way. */
  heartbeat(): Promise<void>;
  /** True when the wait must stop: shutdown, a rebalance, the task closed or replaced. */
  abandoned(): boolean;
  /** Called once, when the first attempt finds the registry down: e.g. commit the work done so far. */
  beforeWaiting(): Promise<void>;
}

const firstBackoffMs = 200;
const maxBackoffMs = 5000;
/** The longest stretch between two heartbeats or abandonment checks while backing off. */
const sliceMs = 1000;

/**
 * Runs `warmUps()` until it finds nothing left to fetch. Resolves true when the task may process, false
 * when the wait was abandoned; rejects with any error other than SerdeUnavailableError (e.g. the registry
 * refused to register a sink's schema: no retry can fix that).
 */
export async function awaitWarmUps(warmUps: () => Promise<void>[], wait: WarmUpWait): Promise<boolean> {
  let failures = 0;
  let ready = false;
  const since = Date.now();
  try {
    for (;;) {
      const pending = warmUps();
      if (pending.length === 0) return (ready = true);
      try {
        await Promise.all(pending);
        continue;
      } catch (err) {
        if (!(err instanceof SerdeUnavailableError)) throw err;
        failures++;
        wait.metrics.registryRetried();
        if (failures === 1) {
          wait.metrics.registryWait(true);
          wait.logger.warn({ task: wait.task, err: err.message }, "schema registry unreachable: the task waits for it (no record is skipped), retrying with backoff");
          await wait.beforeWaiting();
        } else if (failures % 10 === 0) {
          wait.logger.warn({ task: wait.task, attempts: failures, waitedMs: Date.now() - since, err: err.message }, "schema registry still unreachable: the task keeps waiting");
        }
      }
      const backoff = Math.min(maxBackoffMs, firstBackoffMs * 2 ** Math.min(failures - 1, 10)) * (0.8 + Math.random() * 0.4);
      const until = Date.now() + backoff;
      while (Date.now() < until) {
        if (wait.abandoned()) return false;
        try {
          await wait.heartbeat();
        } catch {
          return false;
        }
        await new Promise((resolve) => setTimeout(resolve, Math.min(sliceMs, Math.max(0, until - Date.now()))));
      }
      if (wait.abandoned()) return false;
    }
  } finally {
    if (failures > 0) {
      wait.metrics.registryWait(false);
      const outcome = ready ? "schema registry answers again: the task resumes" : "schema registry wait abandoned (rebalance or shutdown): the batch will be fetched again";
      wait.logger.info({ task: wait.task, attempts: failures, waitedMs: Date.now() - since }, outcome);
    }
  }
}

export interface BatchWarmUp {
  readonly logger: Logger;
  readonly metrics: WeirMetrics;
  /** True when the task manager gave the task up (shutdown, closed or replaced). */
  abandoned(): boolean;
  /** Commits the task's earlier work. */
  commit(): Promise<void>;
  /** Stops the app. */
  fail(error: Error): void;
}

/**
 * Waits until the serdes have every schema the batch needs (fetched from the registry once, then cached).
 * While the registry is unreachable the task waits with backoff and heartbeats: its earlier work is
 * committed first, nothing of this batch is processed. False: give the batch up (it is fetched again).
 */
export async function warmUpBatch(task: StreamTask, batch: PartitionBatch, control: BatchControl, options: BatchWarmUp): Promise<boolean> {
  const warmUps = () => task.warmUps(batch.topic, batch.messages);
  if (warmUps().length === 0) return true;
  return awaitWarmUps(warmUps, {
    task: task.id,
    logger: options.logger,
    metrics: options.metrics,
    heartbeat: () => control.heartbeat(),
    abandoned: () => options.abandoned() || control.isStale() || !control.isRunning() || task.status !== "running",
    beforeWaiting: async () => {
      if (task.hasUncommitted()) await options.commit();
    },
  }).catch((err: unknown) => {
    // The registry answered, and no retry will change the answer (e.g. a sink's schema is incompatible).
    options.fail(new Error(`task ${task.id} cannot prepare its serdes: ${(err as Error).message}`, { cause: err }));
    return false;
  });
}
