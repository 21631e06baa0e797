// Restore's partition reader on kafkajs, which cannot assign partitions without a group: each read joins a
// group with a unique id (one member, so it is assigned every partition of the topics read), pauses the
// partitions it does not need, seeks the others to their range's start at every join, never commits, and
// leaves once every range is read. A group without committed offsets is removed by the broker once empty.
import { randomUUID } from "node:crypto";
import type { EachBatchPayload, Kafka } from "kafkajs";
import type { Logger } from "pino";
import { changelogRecordsOf } from "../changelog-records.ts";
import type { ChangelogRecords, PartitionBatch, PartitionRange, PartitionReader, PartitionReaderOptions } from "../port.ts";
import { restartedCrashLevel } from "./client.ts";

interface RangeProgress {
  /** The next offset to read. */
  position: bigint;
  readonly end: bigint;
}

export class KafkajsPartitionReader implements PartitionReader {
  private readonly kafka: Kafka;
  private readonly options: PartitionReaderOptions;
  private readonly logger: Logger;

  constructor(kafka: Kafka, options: PartitionReaderOptions, logger: Logger) {
    this.kafka = kafka;
    this.options = options;
    this.logger = logger;
  }

  async read(
    ranges: readonly PartitionRange[],
    onRecords: (records: ChangelogRecords) => void | Promise<void>,
    onEnd: (topic: string, partition: number) => void,
    signal: AbortSignal,
  ): Promise<void> {
    if (ranges.length === 0 || signal.aborted) return;
    const remaining = new Map<string, RangeProgress>();
    for (const r of ranges) remaining.set(`${r.topic}:${r.partition}`, { position: BigInt(r.from), end: BigInt(r.to) });
    const consumer = this.kafka.consumer({
      groupId: `${this.options.groupPrefix}-${randomUUID()}`,
      // Changelogs: records of aborted transactions never reach a store.
      readUncommitted: false,
      maxBytesPerPartition: this.options.maxBytesPerPartition,
      maxBytes: this.options.maxBytes,
      maxWaitTimeInMs: this.options.maxWaitTimeMs,
      allowAutoTopicCreation: false,
    });
    let finish!: () => void;
    let fail!: (error: Error) => void;
    const done = new Promise<void>((resolve, reject) => {
      finish = resolve;
      fail = reject;
    });
    const reached = (topic: string, partition: number): void => {
      if (!remaining.delete(`${topic}:${partition}`)) return;
      consumer.pause([{ topic, partitions: [partition] }]);
      onEnd(topic, partition);
      if (remaining.size === 0) finish();
    };
    consumer.on(consumer.events.GROUP_JOIN, (event) => {
      for (const [topic, partitions] of Object.entries(event.payload.memberAssignment)) {
        const unneeded: number[] = [];
        for (const partition of partitions) {
          const progress = remaining.get(`${topic}:${partition}`);
          if (progress) consumer.seek({ topic, partition, offset: progress.position.toString() });
          else unneeded.push(partition);
        }
        if (unneeded.length > 0) consumer.pause([{ topic, partitions: unneeded }]);
      }
    });
    // kafkajs resolves batches of only transaction markers itself, without calling eachBatch: this event
    // is the only sign that fetching moved past them.
    consumer.on(consumer.events.END_BATCH_PROCESS, (event) => {
      const { topic, partition, lastOffset } = event.payload;
      const progress = remaining.get(`${topic}:${partition}`);
      if (!progress) return;
      const next = BigInt(lastOffset) + 1n;
      if (next > progress.position) progress.position = next;
      if (progress.position >= progress.end) reached(topic, partition);
    });
    consumer.on(consumer.events.CRASH, (event) => {
      if (event.payload.restart) this.logger[restartedCrashLevel(event.payload.error)]({ err: event.payload.error }, "restore reader crashed; kafkajs restarts it");
      else fail(event.payload.error);
    });
    signal.addEventListener("abort", finish, { once: true });
    try {
      await consumer.connect();
      await consumer.subscribe({ topics: [...new Set(ranges.map((r) => r.topic))], fromBeginning: true });
      await consumer.run({
        autoCommit: false,
        eachBatch: async ({ batch }: EachBatchPayload) => {
          const progress = remaining.get(`${batch.topic}:${batch.partition}`);
          if (!progress || signal.aborted) return;
          // kafkajs's messages carry Buffers (its string header type is for producing only), as eachBatch's elsewhere.
          const messages = (batch as unknown as PartitionBatch).messages.filter((m) => {
            const offset = BigInt(m.offset);
            return offset >= progress.position && offset < progress.end;
          });
          if (messages.length > 0) await onRecords(changelogRecordsOf(batch.topic, batch.partition, messages));
        },
      });
      await done;
    } finally {
      signal.removeEventListener("abort", finish);
      await consumer.disconnect();
    }
  }
}
