// Weir's own fetch loop over @platformatic/kafka's low-level `fetch`: per-partition positions, pause,
// resume and seek (its MessagesStream has none of these), batches handed over per partition, and
// read_committed filtering done as the Java consumer does it. Used by the group consumer (partitions the
// group assigned) and by the partition reader (partitions read without any group).
import { setTimeout as sleep } from "node:timers/promises";
import type { Consumer, RecordsBatch } from "@platformatic/kafka";
import type { Logger } from "pino";
import type { BatchControl, BatchEnd, BatchMessage, PartitionBatch } from "../port.ts";
import type { KafkaHeaders } from "../types.ts";

type FetchResponse = Awaited<ReturnType<Consumer["fetch"]>>;

const IS_TRANSACTIONAL = 1 << 4;
const IS_CONTROL = 1 << 5;
const LOG_APPEND_TIME = 1 << 3;
const OFFSET_OUT_OF_RANGE = 1;
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
  private readonly consumer: Consumer;
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

  constructor(consumer: Consumer, options: FetcherOptions, logger: Logger) {
    this.consumer = consumer;
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
    type FetchPartition = { partition: number; fetchOffset: bigint; partitionMaxBytes: number; currentLeaderEpoch: number; lastFetchedEpoch: number };
    const byNode = new Map<number, Map<string, FetchPartition[]>>();
    const names = new Map<string, string>();
    for (const w of wanted) {
      const topicMeta = metadata.topics.get(w.topic);
      const leader = topicMeta?.partitions[w.partition]?.leader;
      if (!topicMeta || leader === undefined || leader < 0) continue;
      names.set(topicMeta.id, w.topic);
      let topicsOfNode = byNode.get(leader);
      if (!topicsOfNode) byNode.set(leader, (topicsOfNode = new Map<string, FetchPartition[]>()));
      let list = topicsOfNode.get(topicMeta.id);
      if (!list) topicsOfNode.set(topicMeta.id, (list = []));
      list.push({ partition: w.partition, fetchOffset: w.offset, partitionMaxBytes: this.options.maxBytesPerPartition, currentLeaderEpoch: -1, lastFetchedEpoch: -1 });
    }
    const requested = new Map(wanted.map((w) => [w.key, { offset: w.offset, epoch: this.epochs.get(w.key) ?? 0 }]));
    await Promise.all(
      [...byNode].map(async ([node, topicsOfNode]) => {
        let response: FetchResponse;
        try {
          response = await this.consumer.fetch({
            node,
            topics: [...topicsOfNode].map(([topicId, partitions]) => ({ topicId, partitions })),
            maxWaitTime: this.options.maxWaitTimeMs,
            isolationLevel: this.options.readCommitted ? 1 : 0,
          });
        } catch (err) {
          // A response with errors in some partitions: the others' data is still good.
          const partial = (err as { response?: FetchResponse }).response;
          if (!partial?.responses) throw err;
          response = partial;
        }
        await this.handle(response, names, requested, handlers);
      }),
    );
    if (byNode.size === 0) this.consumer.clearMetadata();
    return byNode.size > 0;
  }

  private async handle(response: FetchResponse, names: ReadonlyMap<string, string>, requested: ReadonlyMap<string, { offset: bigint; epoch: number }>, handlers: FetchHandlers): Promise<void> {
    const work: (() => Promise<void>)[] = [];
    for (const topicResponse of response.responses) {
      const topic = names.get(topicResponse.topicId) ?? topicResponse.topicId;
      for (const p of topicResponse.partitions) {
        const key = partitionKey(topic, p.partitionIndex);
        const asked = requested.get(key);
        // A partition lingering in the fetch session without being asked for: stale data.
        if (!asked) continue;
        if (p.errorCode !== 0) {
          if (p.errorCode === OFFSET_OUT_OF_RANGE && (this.epochs.get(key) ?? 0) === asked.epoch) {
            // The position was deleted (retention, or records deleted before it): from the log start, as auto.offset.reset=earliest.
            this.logger.warn({ topic, partition: p.partitionIndex, offset: String(asked.offset), logStart: String(p.logStartOffset) }, "fetch offset out of range: reading from the log start");
            if (p.logStartOffset >= 0n) this.positions.set(key, p.logStartOffset);
          } else {
            this.consumer.clearMetadata();
          }
          continue;
        }
        const batches = p.records ?? [];
        if (batches.length === 0) continue;
        work.push(() => this.deliver(topic, p.partitionIndex, key, asked, batches, p.abortedTransactions ?? [], p.highWatermark, handlers));
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
    batches: readonly RecordsBatch[],
    aborted: readonly { producerId: bigint; firstOffset: bigint }[],
    highWatermark: bigint,
    handlers: FetchHandlers,
  ): Promise<void> {
    const messages = this.options.readCommitted ? committedMessages(batches, aborted, asked.offset) : allMessages(batches, asked.offset);
    const last = batches[batches.length - 1]!;
    const lastOffset = last.firstOffset + BigInt(last.lastOffsetDelta);
    const current = () => this.running && (this.epochs.get(key) ?? 0) === asked.epoch && this.positions.has(key);
    // Fetched while a rebalance was starting: left unresolved, so fetched again once the rebalance is handled.
    if (this.held) return;
    this.inFlight += 1;
    try {
      await this.handOver(topic, partition, key, messages, batches, lastOffset, highWatermark, current, handlers);
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
    batches: readonly RecordsBatch[],
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
      firstOffset: String(batches[0]!.firstOffset),
      records: messages.length,
      lastOffset: String(lastOffset),
      highWatermark: String(highWatermark),
    });
  }
}

/**
 * A record's offset and timestamp as decimal strings, through numbers where the batch's offsets are safe
 * integers (always, in practice): no BigInt per record beside the client's own (restore's CPU profile).
 */
function toMessage(batch: RecordsBatch, record: RecordsBatch["records"][number], offset: bigint | number): BatchMessage {
  let headers: KafkaHeaders | undefined;
  if (record.headers.length > 0) {
    headers = {};
    for (const [name, value] of record.headers) if (name) headers[name.toString()] = value ?? undefined;
  }
  const timestamp = batch.attributes & LOG_APPEND_TIME ? batch.maxTimestamp : Number(batch.firstTimestamp) + Number(record.timestampDelta);
  return { offset: String(offset), key: record.key, value: record.value, timestamp: String(timestamp), headers };
}

/** Whether every offset of `batch` is a safe integer, so that it may be computed as a number. */
function numericOffsets(batch: RecordsBatch): boolean {
  return batch.firstOffset + BigInt(batch.lastOffsetDelta) <= BigInt(Number.MAX_SAFE_INTEGER);
}

/** The records of `batch` at or after `from`, appended to `out`. */
function appendMessages(out: BatchMessage[], batch: RecordsBatch, from: bigint): void {
  if (numericOffsets(batch)) {
    const first = Number(batch.firstOffset);
    const start = Number(from);
    for (const record of batch.records) {
      const offset = first + record.offsetDelta;
      if (offset >= start) out.push(toMessage(batch, record, offset));
    }
    return;
  }
  for (const record of batch.records) {
    const offset = batch.firstOffset + BigInt(record.offsetDelta);
    if (offset >= from) out.push(toMessage(batch, record, offset));
  }
}

function allMessages(batches: readonly RecordsBatch[], from: bigint): BatchMessage[] {
  const out: BatchMessage[] = [];
  for (const batch of batches) {
    if (batch.attributes & IS_CONTROL) continue;
    appendMessages(out, batch, from);
  }
  return out;
}

/**
 * read_committed as the Java consumer filters it: a producer's transactional batches are skipped from the
 * first offset of one of its aborted transactions the broker reported until that producer's abort marker,
 * whether or not the marker is in this response (a response cut short by its size limit does not end the range).
 */
function committedMessages(batches: readonly RecordsBatch[], abortedTransactions: readonly { producerId: bigint; firstOffset: bigint }[], from: bigint): BatchMessage[] {
  const pending = [...abortedTransactions].sort((a, b) => (a.firstOffset < b.firstOffset ? -1 : a.firstOffset > b.firstOffset ? 1 : 0));
  const aborting = new Set<bigint>();
  const out: BatchMessage[] = [];
  for (const batch of batches) {
    const batchLast = batch.firstOffset + BigInt(batch.lastOffsetDelta);
    while (pending.length > 0 && pending[0]!.firstOffset <= batchLast) aborting.add(pending.shift()!.producerId);
    if (batch.attributes & IS_CONTROL) {
      // Control record key: version int16, type int16 (0 abort, 1 commit).
      const type = batch.records[0]?.key?.readInt16BE(2);
      if (type === 0) aborting.delete(batch.producerId);
      continue;
    }
    if (batch.attributes & IS_TRANSACTIONAL && aborting.has(batch.producerId)) continue;
    appendMessages(out, batch, from);
  }
  return out;
}
