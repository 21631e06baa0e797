// The consumer behind global tables: reads every partition of the global topics, from the offsets the
// global store holds, with no consumer group of its own to speak of. kafkajs cannot assign partitions
// without a group, so it joins a group with a unique id (one member, so it is assigned every partition),
// never commits, and seeks each partition to the store's position at every join. A group without
// committed offsets is removed by the broker once empty, so nothing is left behind.
import { randomUUID } from "node:crypto";
import type { Consumer, EachBatchPayload, Kafka } from "kafkajs";
import type { Logger } from "pino";
import type { BatchEnd, GlobalConsumer, GlobalConsumerOptions, PartitionBatch } from "../port.ts";
import { restartedCrashLevel } from "./client.ts";

export class KafkajsGlobalConsumer implements GlobalConsumer {
  private readonly consumer: Consumer;
  private readonly logger: Logger;

  constructor(kafka: Kafka, options: GlobalConsumerOptions, logger: Logger) {
    this.logger = logger;
    this.consumer = kafka.consumer({
      groupId: `${options.groupPrefix}-${randomUUID()}`,
      // The topic is the store's changelog: records of aborted transactions never reach the store.
      readUncommitted: false,
      maxBytesPerPartition: options.maxBytesPerPartition,
      maxWaitTimeInMs: options.maxWaitTimeMs,
      allowAutoTopicCreation: false,
    });
  }

  /**
   * Starts reading `topics`. At every group join each partition is sought to `position(topic, partition)`
   * (the next offset the store needs; undefined = from the beginning). `onBatch` runs synchronously per
   * fetched batch; `onBatchEnd` reports every batch's end, including batches of only transaction markers.
   */
  async start(
    topics: readonly string[],
    position: (topic: string, partition: number) => string | undefined,
    onBatch: (batch: PartitionBatch) => void,
    onBatchEnd: (end: BatchEnd) => void,
    onFatal?: (error: Error) => void,
  ): Promise<void> {
    this.consumer.on(this.consumer.events.GROUP_JOIN, (event) => {
      for (const [topic, partitions] of Object.entries(event.payload.memberAssignment)) {
        for (const partition of partitions) {
          const offset = position(topic, partition);
          if (offset !== undefined) this.consumer.seek({ topic, partition, offset });
        }
      }
    });
    this.consumer.on(this.consumer.events.END_BATCH_PROCESS, (event) => {
      const { topic, partition, lastOffset, highWatermark } = event.payload;
      onBatchEnd({ topic, partition, lastOffset, highWatermark });
    });
    this.consumer.on(this.consumer.events.CRASH, (event) => {
      if (event.payload.restart) this.logger[restartedCrashLevel(event.payload.error)]({ err: event.payload.error }, "global consumer crashed; kafkajs restarts it");
      else onFatal?.(event.payload.error);
    });
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: [...topics], fromBeginning: true });
    await this.consumer.run({
      autoCommit: false,
      eachBatch: async (payload: EachBatchPayload) => {
        onBatch(payload.batch as PartitionBatch);
        await Promise.resolve();
      },
    });
  }

  /** Stops reading and leaves the throwaway group. */
  async disconnect(): Promise<void> {
    await this.consumer.disconnect();
  }
}
