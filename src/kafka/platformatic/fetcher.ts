// Weir's own fetch loop on @platformatic/kafka: per-partition positions, pause, resume and seek (the client's
// MessagesStream has none of these), batches handed over per partition. The requests are Weir's own
// (raw-fetch.ts), their records decoded by record-batches.ts, read_committed filtered as the Java consumer
// does it; the client gives the cluster's metadata. Used by the group consumer (partitions the group
// assigned) and by the partition reader (global tables, read without any group).
import { setTimeout as sleep } from "node:timers/promises";
import { ConnectionPool, type Consumer } from "@platformatic/kafka";
import type { Logger } from "pino";
import type { BatchControl, BatchEnd, BatchMessage, PartitionBatch } from "../port.ts";
import type { ClientSettings } from "../types.ts";
import { baseOptions } from "./options.ts";
import { fetchFromLeaders, OFFSET_OUT_OF_RANGE, type FetchResponse } from "./raw-fetch.ts";
import { FetchedBatches, NO_END } from "./record-batches.ts";

/** The most bytes of records one fetch response holds, all partitions together: Kafka's fetch.max.bytes default. */
const fetchMaxBytes = 50 * 1024 * 1024;
/** The fetch loop gives up (the consumer is then fatal) after failing this long in a row. */
const maxFailingMs = 120_000;

export interface FetcherOptions {
  readonly maxWaitTimeMs: number;
  readonly maxBytesPerPartition: number;
  readonly readCommitted: boolean;
  readonly partitionsConsumedConcurrently: number;
}

export interface FetchHandlers {
  onBatch(batch: PartitionBatch, control: BatchControl): Promise<void> | void;
  onBatchEnd(end: BatchEnd): void;
  onFatal(error: Error): void;
}

export const partitionKey = (topic: string, partition: number) => `${topic}:${partition}`;

export class PartitionFetcher {
  /** The cluster's metadata (leaders, brokers); the fetches go out on a connection pool of the fetcher's own. */
  private readonly consumer: Consumer;
  private readonly settings: ClientSettings;
  private pool: ConnectionPool | undefined;
  private readonly options: FetcherOptions;
  private readonly logger: Logger;
  /** Next offset to fetch, per partition; a partition without one is not fetched. */
  private readonly positions = new Map<string, bigint>();
  private readonly paused = new Set<string>();
  /** Bumped at every seek and revocation: a batch fetched before is stale. */
  private readonly epochs = new Map<string, number>();
  private running = false;
  /** While held, no batch is handed over (a rebalance waits for the batches in flight, as with kafkajs). */
  private held = false;
  private inFlight = 0;
  private drainedWaiters: (() => void)[] = [];
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;

  constructor(consumer: Consumer, settings: ClientSettings, options: FetcherOptions, logger: Logger) {
    this.consumer = consumer;
    this.settings = settings;
    this.options = options;
    this.logger = logger;
  }

  start(handlers: FetchHandlers): void {
    this.running = true;
    this.loop = this.run(handlers).catch((err: unknown) => handlers.onFatal(err as Error));
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
    const pool = this.pool;
    this.pool = undefined;
    await pool?.close();
  }

  isRunning(): boolean {
    return this.running;
  }

  /** Stops handing over batches and resolves once none is being processed. */
  async hold(): Promise<void> {
    this.held = true;
    if (this.inFlight > 0) await new Promise<void>((resolve) => this.drainedWaiters.push(resolve));
  }

  release(): void {
    this.held = false;
    this.wake?.();
  }

  seek(topic: string, partition: number, offset: bigint): void {
    const key = partitionKey(topic, partition);
    this.positions.set(key, offset);
    this.epochs.set(key, (this.epochs.get(key) ?? 0) + 1);
    this.wake?.();
  }

  /** Forgets a partition (revoked): any batch of it in flight is stale. */
  drop(topic: string, partition: number): void {
    const key = partitionKey(topic, partition);
    this.positions.delete(key);
    this.paused.delete(key);
    this.epochs.set(key, (this.epochs.get(key) ?? 0) + 1);
  }

  pause(topic: string, partition: number): void {
    this.paused.add(partitionKey(topic, partition));
  }

  pauseTopic(topic: string): void {
    for (const key of this.positions.keys()) if (key.slice(0, key.lastIndexOf(":")) === topic) this.paused.add(key);
    this.pausedTopics.add(topic);
  }

  private readonly pausedTopics = new Set<string>();

  resume(topic: string, partition: number): void {
    this.paused.delete(partitionKey(topic, partition));
    this.wake?.();
  }

  private fetchable(): { topic: string; partition: number; offset: bigint; key: string }[] {
    const out = [];
    for (const [key, offset] of this.positions) {
      if (this.paused.has(key)) continue;
      const i = key.lastIndexOf(":");
      const topic = key.slice(0, i);
      if (this.pausedTopics.has(topic)) continue;
      out.push({ topic, partition: Number(key.slice(i + 1)), offset, key });
    }
    return out;
  }

  private async idle(ms: number): Promise<void> {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    this.wake = undefined;
  }

  private async run(handlers: FetchHandlers): Promise<void> {
    let failingSince: number | undefined;
    while (this.running) {
      const wanted = this.held ? [] : this.fetchable();
      if (wanted.length === 0) {
        await this.idle(100);
        continue;
      }
      try {
        // No request went out (no partition has a known leader): wait rather than spin.
        if (!(await this.fetchOnce(wanted, handlers))) await this.idle(100);
        failingSince = undefined;
      } catch (err) {
        if (!this.running) return;
        failingSince ??= Date.now();
        if (Date.now() - failingSince > maxFailingMs) throw err;
        this.logger.warn({ err }, "fetch failed; retrying");
        this.consumer.clearMetadata();
        await sleep(500);
      }
    }
  }

  /** One fetch per leader of the wanted partitions; false when there was none to send. */
  private async fetchOnce(wanted: readonly { topic: string; partition: number; offset: bigint; key: string }[], handlers: FetchHandlers): Promise<boolean> {
    const topics = [...new Set(wanted.map((w) => w.topic))];
    const metadata = await this.consumer.metadata({ topics });
    const requested = new Map(wanted.map((w) => [w.key, { offset: w.offset, epoch: this.epochs.get(w.key) ?? 0 }]));
    const pool = (this.pool ??= new ConnectionPool(`${this.settings.clientId}-fetch`, baseOptions(this.settings, "-fetch")));
    const limits = { maxWaitTimeMs: this.options.maxWaitTimeMs, maxBytes: fetchMaxBytes, maxBytesPerPartition: this.options.maxBytesPerPartition, readCommitted: this.options.readCommitted };
    const leaders = await fetchFromLeaders(metadata, pool, wanted, limits, (response) => this.handle(response, requested, handlers));
    if (leaders === 0) this.consumer.clearMetadata();
    return leaders > 0;
  }

  private async handle(response: FetchResponse, requested: ReadonlyMap<string, { offset: bigint; epoch: number }>, handlers: FetchHandlers): Promise<void> {
    const work: (() => Promise<void>)[] = [];
    for (const { topic, partitions } of response.topics) {
      for (const p of partitions) {
        const key = partitionKey(topic, p.partition);
        const asked = requested.get(key);
        if (!asked) continue;
        if (p.errorCode !== 0) {
          if (p.errorCode === OFFSET_OUT_OF_RANGE && (this.epochs.get(key) ?? 0) === asked.epoch) {
            // The position was deleted (retention, or records deleted before it): from the log start, as auto.offset.reset=earliest.
            this.logger.warn({ topic, partition: p.partition, offset: String(asked.offset), logStart: String(p.logStartOffset) }, "fetch offset out of range: reading from the log start");
            if (p.logStartOffset >= 0n) this.positions.set(key, p.logStartOffset);
          } else {
            this.consumer.clearMetadata();
          }
          continue;
        }
        if (p.records === null) continue;
        // read_committed as the Java consumer filters it (record-batches.ts): the broker lists aborted
        // transactions only for read_committed fetches.
        const batches = new FetchedBatches(topic, p.partition, p.records, this.options.readCommitted ? (p.abortedTransactions ?? []) : [], asked.offset, NO_END);
        if (batches.next === undefined) continue;
        work.push(() => this.deliver(topic, p.partition, key, asked, batches, p.highWatermark, handlers));
      }
    }
    const limit = Math.max(1, this.options.partitionsConsumedConcurrently);
    for (let i = 0; i < work.length; i += limit) await Promise.all(work.slice(i, i + limit).map((w) => w()));
  }

  private async deliver(
    topic: string,
    partition: number,
    key: string,
    asked: { offset: bigint; epoch: number },
    batches: FetchedBatches,
    highWatermark: bigint,
    handlers: FetchHandlers,
  ): Promise<void> {
    const messages = batches.messages();
    const current = () => this.running && (this.epochs.get(key) ?? 0) === asked.epoch && this.positions.has(key);
    // Fetched while a rebalance was starting: left unresolved, so fetched again once the rebalance is handled.
    if (this.held) return;
    this.inFlight += 1;
    try {
      await this.handOver(topic, partition, key, messages, batches.first!, batches.next! - 1n, highWatermark, current, handlers);
    } finally {
      this.inFlight -= 1;
      if (this.inFlight === 0) for (const resolve of this.drainedWaiters.splice(0)) resolve();
    }
  }

  private async handOver(
    topic: string,
    partition: number,
    key: string,
    messages: readonly BatchMessage[],
    firstOffset: bigint,
    lastOffset: bigint,
    highWatermark: bigint,
    current: () => boolean,
    handlers: FetchHandlers,
  ): Promise<void> {
    if (messages.length > 0) {
      let resolved: bigint | undefined;
      await handlers.onBatch(
        { topic, partition, messages, highWatermark: String(highWatermark), nextOffset: String(lastOffset + 1n) },
        {
          resolveOffset: (offset) => {
            if (current()) resolved = BigInt(offset);
          },
          isRunning: () => this.running,
          isStale: () => !current(),
          // The client heartbeats on its own timer.
          heartbeat: async () => {},
        },
      );
      if (current() && resolved !== undefined) {
        // All records resolved: past the trailing markers too.
        this.positions.set(key, resolved >= BigInt(messages[messages.length - 1]!.offset) ? lastOffset + 1n : resolved + 1n);
      }
    } else if (current()) {
      this.positions.set(key, lastOffset + 1n);
    }
    handlers.onBatchEnd({
      topic,
      partition,
      firstOffset: String(firstOffset),
      records: messages.length,
      lastOffset: String(lastOffset),
      highWatermark: String(highWatermark),
    });
  }
}
