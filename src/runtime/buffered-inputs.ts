// A task with several input partitions (a join, a merge): fetched records wait in RecordQueues and are
// processed in timestamp order across the partitions, as in Kafka Streams. This owns the queues and the
// drain loop; StreamTask processes each run of records.
import type { BatchMessage } from "../kafka/index.ts";
import { RecordQueues } from "./record-queues.ts";

export interface BufferedInputsHost {
  /** The event time the record's source will give it (ProcessorGraph.eventTimeOf). */
  eventTimeOf(topic: string, message: BatchMessage): number;
  /** The index of the first message the task has not processed yet (InputOffsets.firstUnprocessed). */
  firstUnprocessed(topic: string, messages: readonly BatchMessage[]): number;
  /** The task runs (not restoring, not closed). */
  running(): boolean;
  /** The commit in flight, if any: a run of records waits for it. */
  commitInFlight(): Promise<void> | undefined;
  /** Processes a run of one partition's records; resolves with how many it processed. */
  process(topic: string, messages: readonly BatchMessage[]): Promise<number>;
}

export class BufferedInputs {
  private readonly queues: RecordQueues;
  private readonly host: BufferedInputsHost;
  /** drain() in flight; commits, ticks and batches wait for it. */
  draining: Promise<void> | undefined;

  constructor(topics: readonly string[], maxTaskIdleMs: number, host: BufferedInputsHost) {
    this.queues = new RecordQueues(topics, maxTaskIdleMs);
    this.host = host;
  }

  /** How many records wait. */
  size(): number {
    return this.queues.size();
  }

  /**
   * Queues a fetched batch (its records not processed yet); their event times are extracted now, to order them.
   * `nextOffset`: the offset after the batch's last entry, trailing transaction markers included (PartitionBatch).
   */
  enqueue(topic: string, messages: readonly BatchMessage[], highWatermark: string, nextOffset?: string): void {
    const start = this.host.firstUnprocessed(topic, messages);
    const records = [];
    for (let i = start; i < messages.length; i++) records.push({ message: messages[i]!, timestampMs: this.host.eventTimeOf(topic, messages[i]!) });
    const lastRecord = messages[messages.length - 1]?.offset;
    this.queues.add(topic, records, highWatermark, lastRecord !== undefined && nextOffset !== undefined ? { lastRecord, nextOffset } : undefined);
  }

  /**
   * Processes buffered records in timestamp order for as long as the queues allow (RecordQueues.next);
   * resolves with how many it processed per topic. A call while another runs returns at once: that one
   * takes the new records too.
   */
  async drain(nowMs: number): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    if (this.draining || !this.host.running()) return counts;
    let done!: () => void;
    this.draining = new Promise((resolve) => (done = resolve));
    try {
      for (let run = this.queues.next(nowMs); run; run = this.host.running() ? this.queues.next(nowMs) : undefined) {
        const committing = this.host.commitInFlight();
        if (committing) await committing;
        const processed = await this.host.process(run.topic, run.messages);
        counts.set(run.topic, (counts.get(run.topic) ?? 0) + processed);
      }
    } finally {
      this.draining = undefined;
      done();
    }
    return counts;
  }

  /** Fetching moved past `firstOffset`..`lastOffset` without records: the partition may be caught up. */
  fetchedUpTo(topic: string, firstOffset: string, lastOffset: string, highWatermark: string): void {
    this.queues.fetchedUpTo(topic, firstOffset, lastOffset, highWatermark);
  }

  /** Drops every buffered record (fetching rewinds); `offsets`: where fetching resumes. */
  reset(offsets?: ReadonlyMap<string, string>): void {
    this.queues.reset(offsets);
  }

  /** Notes input partitions' end offsets for the current fetching only (a later rewind ignores them). */
  endsListener(): (topic: string, endOffset: string) => void {
    const queues = this.queues;
    const epoch = queues.epoch;
    return (topic, endOffset) => queues.noteEndOffset(topic, endOffset, epoch);
  }
}
