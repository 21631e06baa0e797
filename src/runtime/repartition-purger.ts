// Purges consumed repartition records: after a task commits, the records it read from a repartition topic
// are no longer needed by anyone (the committed offset is past them), so they are deleted, as Kafka Streams
// does. Deletes are batched: at most one round per `intervalMs`, with the latest committed offset per partition;
// offsets committed since the last round are purged at most `intervalMs` later, even if no commit follows.
import type { Logger } from "./logger.ts";

export interface RecordDeleter {
  deleteRecordsBefore(topic: string, offsets: ReadonlyMap<number, string>): Promise<void>;
}

export class RepartitionPurger {
  private readonly admin: RecordDeleter;
  private readonly topics: ReadonlySet<string>;
  private readonly intervalMs: number;
  private readonly logger: Logger;
  /** Per topic, per partition: the committed offset not purged yet. */
  private readonly pending = new Map<string, Map<number, string>>();
  private lastRound: number;
  private running: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(admin: RecordDeleter, topics: Iterable<string>, intervalMs: number, logger: Logger) {
    this.admin = admin;
    this.topics = new Set(topics);
    this.intervalMs = intervalMs;
    this.logger = logger;
    this.lastRound = Date.now();
  }

  /** A task committed these input offsets (`topic:partition` → next offset); those of repartition topics are purged later. */
  committed(offsets: ReadonlyMap<string, string>): void {
    if (this.topics.size === 0) return;
    for (const [key, offset] of offsets) {
      const at = key.lastIndexOf(":");
      const topic = key.slice(0, at);
      if (!this.topics.has(topic)) continue;
      let partitions = this.pending.get(topic);
      if (!partitions) this.pending.set(topic, (partitions = new Map<number, string>()));
      const partition = Number(key.slice(at + 1));
      const previous = partitions.get(partition);
      if (previous === undefined || BigInt(offset) > BigInt(previous)) partitions.set(partition, offset);
    }
    this.schedule();
  }

  /** Stops the timer and waits for a round in flight (at shutdown, before the admin client closes). */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  private schedule(): void {
    if (this.closed || this.pending.size === 0 || this.running || this.timer) return;
    const wait = this.lastRound + this.intervalMs - Date.now();
    if (wait <= 0) {
      this.running = this.round();
      return;
    }
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.schedule();
    }, wait);
  }

  private async round(): Promise<void> {
    this.lastRound = Date.now();
    const batch = [...this.pending];
    this.pending.clear();
    try {
      for (const [topic, offsets] of batch) {
        await this.admin.deleteRecordsBefore(topic, offsets);
        this.logger.debug({ topic, offsets: Object.fromEntries(offsets) }, "purged consumed repartition records");
      }
    } catch (err) {
      // Not fatal: the records are merely kept longer; the next round deletes up to a later offset.
      this.logger.warn({ err }, "purging consumed repartition records failed; will retry at the next round");
    } finally {
      this.running = undefined;
      this.schedule();
    }
  }
}
