// The probing rebalance (Kafka Streams' probing.rebalance.interval.ms, KIP-441): when the group leader's plan
// placed warm-up replicas, this instance starts a rebalance after probingRebalanceIntervalMs, so that the tasks
// whose warm-up has caught up by then move (docs/architecture.md, "Warm-up replicas and probing rebalances").
import type { GroupConsumer } from "../kafka/index.ts";
import type { Logger } from "./logger.ts";

export class ProbingRebalance {
  private readonly intervalMs: number;
  private readonly consumer: () => GroupConsumer | undefined;
  private readonly logger: Logger;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(intervalMs: number, consumer: () => GroupConsumer | undefined, logger: Logger) {
    this.intervalMs = intervalMs;
    this.consumer = consumer;
    this.logger = logger;
  }

  /** The client can start a rebalance: only then may the leader place warm-ups (else tasks move at once). */
  available(): boolean {
    return this.consumer()?.requestRebalance !== undefined;
  }

  /** The leader sent a plan with this many warm-ups: none cancels a scheduled probe, some schedule one. */
  planned(warmups: number): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (warmups === 0 || this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.stopped) return;
      this.logger.info({ warmups, intervalMs: this.intervalMs }, "probing rebalance: rejoining the group so that caught-up warm-ups take their tasks over");
      this.consumer()?.requestRebalance?.();
    }, this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
