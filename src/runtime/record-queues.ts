// Kafka Streams' PartitionGroup: the input of a task that reads several partitions (a stream of two
// topics, a join's two sides) waits in one queue per partition, and the task takes the record with the
// smallest event time next (ties: the topic listed first), so that stream time and joins see the
// partitions' records in timestamp order rather than in the order their batches arrived.
//
// While a queue is empty its partition may still hold earlier records, so the task waits for it, as
// Kafka Streams' `max.task.idle.ms` says:
//   -1   never waits: what is buffered is processed at once;
//    0   waits only while the partition has records on the broker not fetched yet (its fetched position
//        is below its end offset, or the end is not known yet);
//  > 0   waits as 0 does, and once the partition has been caught up and empty for that long, goes on.
// Nothing here knows Kafka: the runtime tells the queues where fetching got to and where each partition ends.
import type { BatchMessage } from "../kafka/index.ts";

/** A fetched record with the event time its source extracts. */
export interface QueuedRecord {
  readonly message: BatchMessage;
  readonly timestampMs: number;
}

/** Consecutive records of one partition to process now, in offset order. */
export interface QueuedRun {
  readonly topic: string;
  readonly messages: BatchMessage[];
}

class PartitionQueue {
  readonly topic: string;
  records: QueuedRecord[] = [];
  head = 0;
  /** The offset after the last record fetched (queued, or skipped: markers); undefined when not known. */
  fetched: bigint | undefined;
  /** The partition's end offset as last heard of (a batch's high watermark, or read at start). */
  end: bigint | undefined;
  /** When the partition may be passed over although empty (maxTaskIdleMs > 0, caught up); set on first wait. */
  deadline: number | undefined;

  constructor(topic: string) {
    this.topic = topic;
  }

  get size(): number {
    return this.records.length - this.head;
  }

  headTimestamp(): number {
    return this.records[this.head]!.timestampMs;
  }

  /** Fetching has reached the partition's end (as far as is known). */
  caughtUp(): boolean {
    return this.fetched !== undefined && this.end !== undefined && this.fetched >= this.end;
  }

  take(): QueuedRecord {
    const record = this.records[this.head++]!;
    if (this.head === this.records.length) {
      this.records = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.records.length) {
      this.records = this.records.slice(this.head);
      this.head = 0;
    }
    return record;
  }
}

export class RecordQueues {
  /** In the task's topic order, which breaks ties between equal timestamps. */
  private readonly queues: PartitionQueue[];
  private readonly byTopic = new Map<string, PartitionQueue>();
  private readonly maxTaskIdleMs: number;
  /** Bumped by every reset: an end offset read for an older position is ignored. */
  private epochValue = 0;

  constructor(topics: readonly string[], maxTaskIdleMs: number) {
    this.queues = topics.map((t) => new PartitionQueue(t));
    for (const q of this.queues) this.byTopic.set(q.topic, q);
    this.maxTaskIdleMs = maxTaskIdleMs;
  }

  get epoch(): number {
    return this.epochValue;
  }

  /**
   * Fetching starts over at these offsets (a seek; or no offsets at all, after a rollback): every
   * buffered record is dropped (it is fetched again) and what was known of the partitions' ends is forgotten.
   */
  reset(from: ReadonlyMap<string, string> = new Map()): void {
    this.epochValue += 1;
    for (const q of this.queues) {
      q.records = [];
      q.head = 0;
      const offset = from.get(q.topic);
      q.fetched = offset === undefined ? undefined : BigInt(offset);
      q.end = undefined;
      q.deadline = undefined;
    }
  }

  /**
   * Appends a fetched batch's records (in offset order). Records below the position fetching had already
   * reached are dropped: a batch fetched before a seek may arrive after it. `batch`: the offset of the batch's
   * last record and the offset after its last entry, trailing transaction markers included (PartitionBatch.nextOffset):
   * once the queue holds everything up to that record, fetching is past the markers too. Without this a partition
   * whose log ends in a marker (every partition written in transactions) was never caught up.
   */
  add(topic: string, records: readonly QueuedRecord[], highWatermark: string, batch?: { readonly lastRecord: string; readonly nextOffset: string }): void {
    const q = this.queue(topic);
    let added = false;
    for (const r of records) {
      const offset = BigInt(r.message.offset);
      if (q.fetched !== undefined && offset < q.fetched) continue;
      q.records.push(r);
      q.fetched = offset + 1n;
      added = true;
    }
    if (batch && q.fetched !== undefined && q.fetched > BigInt(batch.lastRecord)) {
      const next = BigInt(batch.nextOffset);
      if (next > q.fetched) q.fetched = next;
    }
    q.end = BigInt(highWatermark);
    if (added) q.deadline = undefined;
  }

  /**
   * Fetching of the partition covered `firstOffset`..`lastOffset` (transaction markers included). Ignored
   * unless it continues from the position already known: a batch of before a seek says nothing of after it.
   */
  fetchedUpTo(topic: string, firstOffset: string, lastOffset: string, highWatermark: string): void {
    const q = this.queue(topic);
    if (q.fetched === undefined || BigInt(firstOffset) > q.fetched) return;
    const next = BigInt(lastOffset) + 1n;
    if (next > q.fetched) q.fetched = next;
    q.end = BigInt(highWatermark);
  }

  /** The partition's end offset read from the cluster (for a partition not fetched yet); `epoch` as when it was asked for. */
  noteEndOffset(topic: string, end: string, epoch: number): void {
    const q = this.queue(topic);
    if (epoch === this.epochValue && q.end === undefined) q.end = BigInt(end);
  }

  /** Records buffered and not processed yet. */
  size(): number {
    let n = 0;
    for (const q of this.queues) n += q.size;
    return n;
  }

  /**
   * The records to process next: the partition whose head has the smallest timestamp, its records for as
   * long as they stay the smallest. Undefined when nothing is buffered or an empty partition must be waited for.
   */
  next(nowMs: number): QueuedRun | undefined {
    let chosen = -1;
    for (let i = 0; i < this.queues.length; i++) {
      const q = this.queues[i]!;
      if (q.size === 0) {
        if (!this.mayPassOver(q, nowMs)) return undefined;
        continue;
      }
      if (chosen === -1 || q.headTimestamp() < this.queues[chosen]!.headTimestamp()) chosen = i;
    }
    if (chosen === -1) return undefined;
    const q = this.queues[chosen]!;
    const messages: BatchMessage[] = [];
    do messages.push(q.take().message);
    while (q.size > 0 && this.comesFirst(chosen, q.headTimestamp()));
    return { topic: q.topic, messages };
  }

  /** Whether a record of queue `index` with this timestamp goes before every other queue's head. */
  private comesFirst(index: number, timestampMs: number): boolean {
    for (let j = 0; j < this.queues.length; j++) {
      const other = this.queues[j]!;
      if (j === index || other.size === 0) continue;
      const head = other.headTimestamp();
      if (head < timestampMs || (head === timestampMs && j < index)) return false;
    }
    return true;
  }

  /** An empty partition that need not be waited for (see the file's comment). */
  private mayPassOver(q: PartitionQueue, nowMs: number): boolean {
    if (this.maxTaskIdleMs < 0) return true;
    if (!q.caughtUp()) {
      q.deadline = undefined;
      return false;
    }
    if (this.maxTaskIdleMs === 0) return true;
    q.deadline ??= nowMs + this.maxTaskIdleMs;
    return nowMs >= q.deadline;
  }

  private queue(topic: string): PartitionQueue {
    const q = this.byTopic.get(topic);
    if (!q) throw new Error(`no record queue for topic ${topic}`);
    return q;
  }
}
