// Reads partitions from given offsets without any consumer group: the client's `consume()` always joins
// one, so this is Weir's fetch loop on a consumer that never joins (global tables; restore's and standby
// tasks' changelog ranges are read by changelog-reader.ts).
import { Consumer } from "@platformatic/kafka";
import type { Logger } from "pino";
import type { BatchEnd, GlobalConsumer, GlobalConsumerOptions, PartitionBatch } from "../port.ts";
import type { ClientSettings } from "../types.ts";
import { PartitionFetcher } from "./fetcher.ts";
import { baseOptions } from "./options.ts";

export class PlatformaticPartitionReader implements GlobalConsumer {
  private readonly consumer: Consumer;
  private readonly fetcher: PartitionFetcher;

  constructor(settings: ClientSettings, options: GlobalConsumerOptions, logger: Logger) {
    // A group id is required by the constructor; this consumer never joins it.
    this.consumer = new Consumer({ ...baseOptions(settings, "-reader"), groupId: `${options.groupPrefix}-unjoined`, autocommit: false });
    this.fetcher = new PartitionFetcher(
      this.consumer,
      settings,
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
