// Reads partitions from given offsets without any consumer group: the client's `consume()` always joins
// one, so this is Weir's fetch loop on a consumer that never joins (global tables, and restore's ranges).
import { Consumer } from "@platformatic/kafka";
import type { Logger } from "pino";
import type { BatchEnd, GlobalConsumer, GlobalConsumerOptions, PartitionBatch, PartitionRange, PartitionReader, PartitionReaderOptions } from "../port.ts";
import type { ClientSettings } from "../types.ts";
import { PartitionFetcher, partitionKey } from "./fetcher.ts";
import { baseOptions } from "./options.ts";

export class PlatformaticPartitionReader implements GlobalConsumer {
  private readonly consumer: Consumer;
  private readonly fetcher: PartitionFetcher;

  constructor(settings: ClientSettings, options: GlobalConsumerOptions, logger: Logger) {
    // A group id is required by the constructor; this consumer never joins it.
    this.consumer = new Consumer({ ...baseOptions(settings, "-reader"), groupId: `${options.groupPrefix}-unjoined`, autocommit: false });
    this.fetcher = new PartitionFetcher(
      this.consumer,
      // The topics are changelogs: records of aborted transactions never reach a store.
      { maxWaitTimeMs: options.maxWaitTimeMs, maxBytesPerPartition: options.maxBytesPerPartition, readCommitted: true, partitionsConsumedConcurrently: 1 },
      logger,
    );
  }

  async start(
    topics: readonly string[],
    position: (topic: string, partition: number) => string | undefined,
    onBatch: (batch: PartitionBatch) => void,
    onBatchEnd: (end: BatchEnd) => void,
    onFatal?: (error: Error) => void,
  ): Promise<void> {
    const metadata = await this.consumer.metadata({ topics: [...topics] });
    for (const topic of topics) {
      const count = metadata.topics.get(topic)?.partitionsCount ?? 0;
      for (let partition = 0; partition < count; partition++) {
        // Undefined: from the beginning (an offset below the log start is moved up to it by the fetcher).
        this.fetcher.seek(topic, partition, BigInt(position(topic, partition) ?? "0"));
      }
    }
    this.fetcher.start({
      onBatch: (batch, control) => {
        onBatch(batch);
        control.resolveOffset(batch.messages[batch.messages.length - 1]!.offset);
      },
      onBatchEnd,
      onFatal: (error) => onFatal?.(error),
    });
  }

  async disconnect(): Promise<void> {
    await this.fetcher.stop();
    await this.consumer.close(true);
  }
}

/**
 * Reads partition ranges for restore, on a consumer of its own that never joins a group (one per read):
 * the same fetch loop, read_committed, each partition dropped once fetching got to its range's end.
 */
export class PlatformaticRangeReader implements PartitionReader {
  private readonly settings: ClientSettings;
  private readonly options: PartitionReaderOptions;
  private readonly logger: Logger;

  constructor(settings: ClientSettings, options: PartitionReaderOptions, logger: Logger) {
    this.settings = settings;
    this.options = options;
    this.logger = logger;
  }

  async read(
    ranges: readonly PartitionRange[],
    onBatch: (batch: PartitionBatch) => void | Promise<void>,
    onEnd: (topic: string, partition: number) => void,
    signal: AbortSignal,
  ): Promise<void> {
    if (ranges.length === 0 || signal.aborted) return;
    const consumer = new Consumer({ ...baseOptions(this.settings, "-restore"), groupId: `${this.options.groupPrefix}-unjoined`, autocommit: false });
    const fetcher = new PartitionFetcher(
      consumer,
      {
        maxWaitTimeMs: this.options.maxWaitTimeMs,
        maxBytesPerPartition: this.options.maxBytesPerPartition,
        maxBytes: this.options.maxBytes,
        readCommitted: true,
        partitionsConsumedConcurrently: 1,
      },
      this.logger,
    );
    const ends = new Map<string, bigint>();
    let finish!: () => void;
    let fail!: (error: Error) => void;
    const done = new Promise<void>((resolve, reject) => {
      finish = resolve;
      fail = reject;
    });
    const reached = (topic: string, partition: number): void => {
      const key = partitionKey(topic, partition);
      if (!ends.delete(key)) return;
      fetcher.drop(topic, partition);
      onEnd(topic, partition);
      if (ends.size === 0) finish();
    };
    for (const range of ranges) {
      ends.set(partitionKey(range.topic, range.partition), BigInt(range.to));
      fetcher.seek(range.topic, range.partition, BigInt(range.from));
    }
    signal.addEventListener("abort", finish, { once: true });
    fetcher.start({
      onBatch: async (batch, control) => {
        const end = ends.get(partitionKey(batch.topic, batch.partition));
        if (end === undefined || signal.aborted) return;
        const messages = BigInt(batch.messages[batch.messages.length - 1]!.offset) < end ? batch.messages : batch.messages.filter((m) => BigInt(m.offset) < end);
        if (messages.length > 0) await onBatch(messages === batch.messages ? batch : { ...batch, messages });
        control.resolveOffset(batch.messages[batch.messages.length - 1]!.offset);
      },
      onBatchEnd: (batchEnd) => {
        const end = ends.get(partitionKey(batchEnd.topic, batchEnd.partition));
        if (end !== undefined && BigInt(batchEnd.lastOffset) + 1n >= end) reached(batchEnd.topic, batchEnd.partition);
      },
      onFatal: (error) => fail(error),
    });
    try {
      await done;
    } finally {
      signal.removeEventListener("abort", finish);
      await fetcher.stop();
      await consumer.close(true);
    }
  }
}
