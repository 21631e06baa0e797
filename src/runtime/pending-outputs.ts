// A task's outputs waiting for its next commit: the records the sinks produced and the dead-letter
// records of failed inputs, their byte count, and every size check. An output its topic would refuse
// is refused here, at its record, never by the broker at the commit (under exactly-once the broker
// would abort the whole transaction, with no way to tell which record caused it).
import type { ProducedRecord } from "../kafka/index.ts";
import { WeirError } from "./errors.ts";

/**
 * A task commits once its outputs waiting for the commit pass this size, whatever its interval: outputs
 * are sent only at a commit, so at-least-once's 30 s interval would otherwise hold a whole run's outputs in
 * memory and send nothing while processing. Measured on W1 at-least-once (bench/README.md): +15% records/s,
 * −10% CPU, peak RSS 860 → 570 MB.
 */
export const maxPendingOutputBytes = 1024 * 1024;

/**
 * A record batch's framing beyond the records' own bytes (61 bytes of batch header, plus each record's
 * varints and attributes): kept generous so that an output this check accepts is never refused by the broker.
 */
const batchOverheadBytes = 128;

/** An output larger than its topic's max.message.bytes. */
export class OutputTooLargeError extends Error {
  readonly topic: string;
  constructor(topic: string, size: number, maxMessageBytes: number) {
    super(`a record of about ${size} bytes is larger than topic ${topic} accepts (max.message.bytes ${maxMessageBytes})`);
    this.name = "OutputTooLargeError";
    this.topic = topic;
  }
}

/**
 * Throws an OutputTooLargeError when `record` is larger than `maxMessageBytes` (its topic's max.message.bytes);
 * undefined: no limit known.
 */
export function checkOutputSize(record: ProducedRecord, maxMessageBytes: number | undefined): void {
  if (maxMessageBytes === undefined) return;
  let size = batchOverheadBytes + (record.key?.length ?? 0) + (record.value?.length ?? 0);
  for (const name in record.headers) size += name.length + (record.headers[name]?.length ?? 0) + 8;
  if (size > maxMessageBytes) throw new OutputTooLargeError(record.topic, size, maxMessageBytes);
}

export class PendingOutputs {
  private records: ProducedRecord[] = [];
  /** Key and value bytes of `records`. */
  private byteCount = 0;
  /** Per topic, the largest record it accepts (its max.message.bytes). */
  private readonly maxMessageBytes: ReadonlyMap<string, number>;

  constructor(maxMessageBytes: ReadonlyMap<string, number> = new Map()) {
    this.maxMessageBytes = maxMessageBytes;
  }

  /** How many records wait; a mark for truncate(). */
  get length(): number {
    return this.records.length;
  }

  get bytes(): number {
    return this.byteCount;
  }

  /** The outputs passed maxPendingOutputBytes: the task should commit now. */
  overLimit(): boolean {
    return this.byteCount >= maxPendingOutputBytes;
  }

  /** Adds a sink's output; throws an OutputTooLargeError (a production error of its record) when its topic would refuse it. */
  add(record: ProducedRecord): void {
    checkOutputSize(record, this.maxMessageBytes.get(record.topic));
    this.push(record);
  }

  /**
   * Adds a dead-letter record. One its topic would refuse cannot be dead-lettered, nor skipped silently:
   * a WeirError (which no handler skips) stops the task.
   */
  addDeadLetter(record: ProducedRecord, origin: string): void {
    try {
      checkOutputSize(record, this.maxMessageBytes.get(record.topic));
    } catch (err) {
      throw new WeirError("WEIR_PRODUCTION_FAILED", `the dead-letter record of ${origin} cannot be produced: ${(err as Error).message}`, { cause: err });
    }
    this.push(record);
  }

  /** Drops the records added since `mark` (a failed input record's outputs). */
  truncate(mark: number): void {
    if (mark >= this.records.length) return;
    for (let i = mark; i < this.records.length; i++) this.byteCount -= sizeOf(this.records[i]!);
    this.records.length = mark;
  }

  /** Takes every waiting record (for the commit), leaving none. */
  take(): ProducedRecord[] {
    const taken = this.records;
    this.records = [];
    this.byteCount = 0;
    return taken;
  }

  /** Drops every waiting record (rollback). */
  clear(): void {
    this.records = [];
    this.byteCount = 0;
  }

  private push(record: ProducedRecord): void {
    this.records.push(record);
    this.byteCount += sizeOf(record);
  }
}

function sizeOf(record: ProducedRecord): number {
  return (record.key?.length ?? 0) + (record.value?.length ?? 0);
}
