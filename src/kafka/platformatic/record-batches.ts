// Changelog records decoded straight from a fetch response's bytes (Kafka's record batch format, magic 2)
// into the runtime's sink: no object and no Buffer view per record. The client's own decoder makes a record
// object, a key and a value view and a header array per record, and Weir's fetcher a message on top: during a
// large restore that garbage, not the store, was most of the V8 heap (docs/architecture.md, "Restore").
// read_committed is filtered as the Java consumer does it, on the batch headers alone.
import { compressionsAlgorithmsByBitmask } from "@platformatic/kafka";
import type { BatchMessage, ChangelogRecords, ChangelogSink } from "../port.ts";
import type { KafkaHeaders } from "../types.ts";

/** Base offset and batch length: the bytes of a batch before its `length` counts. */
const LOG_OVERHEAD = 12;
/** A batch's header, up to its first record. */
const HEADER = 61;
const COMPRESSION = 0x07;
const IS_TRANSACTIONAL = 1 << 4;
const IS_CONTROL = 1 << 5;
const LOG_APPEND_TIME = 1 << 3;
/** Past every offset: a read without an end. */
export const NO_END = 1n << 63n;

export interface AbortedTransaction {
  readonly producerId: bigint;
  readonly firstOffset: bigint;
}

/** One fetched partition's record batches, as the broker returned them (the last one possibly cut short). */
export class FetchedBatches implements ChangelogRecords {
  readonly topic: string;
  readonly partition: number;
  /** The base offset of the first whole batch; undefined when there was none. */
  readonly first: bigint | undefined;
  /** The offset after the last whole batch (transaction markers included); undefined when there was none. */
  readonly next: bigint | undefined;
  private readonly bytes: Buffer;
  /** Where each batch to decode starts in `bytes`: committed data batches overlapping [from, to). */
  private readonly kept: number[] = [];
  private readonly from: bigint;
  private readonly to: bigint;

  constructor(topic: string, partition: number, bytes: Buffer, aborted: readonly AbortedTransaction[], from: bigint, to: bigint) {
    this.topic = topic;
    this.partition = partition;
    this.bytes = bytes;
    this.from = from;
    this.to = to;
    // A producer's transactional batches are skipped from the first offset of one of its aborted transactions
    // the broker reported until that producer's abort marker, whether or not the marker is in this response.
    const pending = [...aborted].sort((a, b) => (a.firstOffset < b.firstOffset ? -1 : a.firstOffset > b.firstOffset ? 1 : 0));
    const aborting = new Set<bigint>();
    let first: bigint | undefined;
    let next: bigint | undefined;
    for (let at = 0; bytes.length - at >= HEADER; ) {
      const base = bytes.readBigInt64BE(at);
      const length = bytes.readInt32BE(at + 8);
      if (length < HEADER - LOG_OVERHEAD) throw new Error(`${topic}:${partition} has a record batch of ${length} bytes at offset ${base}, shorter than its header`);
      const end = at + LOG_OVERHEAD + length;
      if (end > bytes.length) break;
      first ??= base;
      const magic = bytes.readInt8(at + 16);
      if (magic !== 2) throw new Error(`${topic}:${partition} has a record batch of format ${magic} at offset ${base}: only format 2 (Kafka 0.11 and later) is read`);
      const attributes = bytes.readInt16BE(at + 21);
      const last = base + BigInt(bytes.readInt32BE(at + 23));
      while (pending.length > 0 && pending[0]!.firstOffset <= last) aborting.add(pending.shift()!.producerId);
      const producerId = bytes.readBigInt64BE(at + 43);
      if (attributes & IS_CONTROL) {
        if (controlType(bytes, at + HEADER) === 0) aborting.delete(producerId);
      } else if (!(attributes & IS_TRANSACTIONAL && aborting.has(producerId)) && last >= from && base < to && bytes.readInt32BE(at + 57) > 0) {
        this.kept.push(at);
      }
      next = last + 1n;
      at = end;
    }
    this.first = first;
    this.next = next;
  }

  /** Whether any batch may hold records to copy. */
  get hasRecords(): boolean {
    return this.kept.length > 0;
  }

  copyTo(sink: ChangelogSink): string | undefined {
    let last: number | bigint | undefined;
    this.walk(false, (records, record, offset) => {
      last = offset;
      if (record.keyLength >= 0) sink.addFrom(records.data, record.keyStart, record.keyLength, record.valueStart, record.valueLength);
    });
    return last === undefined ? undefined : String(last);
  }

  /** The records as messages (offsets and timestamps as decimal strings); keys, values and headers are views of the fetched bytes. */
  messages(): BatchMessage[] {
    const out: BatchMessage[] = [];
    this.walk(true, (records, record, offset, batch) => {
      const { data } = records;
      let headers: KafkaHeaders | undefined;
      for (let h = 0; h < record.headerCount; h++) {
        const [name, value] = records.header();
        (headers ??= {})[data.toString("utf8", name.start, name.start + name.length)] = value.length < 0 ? undefined : data.subarray(value.start, value.start + value.length);
      }
      const timestamp = batch.logAppendTime ? batch.maxTimestamp : batch.firstTimestamp + record.timestampDelta;
      out.push({
        offset: String(offset),
        key: record.keyLength < 0 ? null : data.subarray(record.keyStart, record.keyStart + record.keyLength),
        value: record.valueLength < 0 ? null : data.subarray(record.valueStart, record.valueStart + record.valueLength),
        timestamp: String(timestamp),
        headers,
      });
    });
    return out;
  }

  /** Calls `visit` for each record of the kept batches in [from, to), in offset order; `full`: timestamps and headers read too. */
  private walk(full: boolean, visit: (records: RecordCursor, record: RecordFields, offset: number | bigint, batch: BatchTimes) => void): void {
    const { bytes, from, to } = this;
    const lowest = Number(from);
    const highest = Number(to);
    for (const at of this.kept) {
      const base = bytes.readBigInt64BE(at);
      const end = at + LOG_OVERHEAD + bytes.readInt32BE(at + 8);
      const attributes = bytes.readInt16BE(at + 21);
      const count = bytes.readInt32BE(at + 57);
      const times: BatchTimes = {
        logAppendTime: (attributes & LOG_APPEND_TIME) !== 0,
        firstTimestamp: Number(bytes.readBigInt64BE(at + 27)),
        maxTimestamp: Number(bytes.readBigInt64BE(at + 35)),
      };
      let records = new RecordCursor(bytes, at + HEADER, end, full);
      const compression = attributes & COMPRESSION;
      if (compression !== 0) {
        const algorithm = compressionsAlgorithmsByBitmask[compression as keyof typeof compressionsAlgorithmsByBitmask] as { decompressSync(data: Buffer): Buffer } | undefined;
        if (!algorithm) throw new Error(`${this.topic}:${this.partition} has a record batch compressed with an unknown codec (${compression}) at offset ${base}`);
        const data = algorithm.decompressSync(bytes.subarray(at + HEADER, end));
        records = new RecordCursor(data, 0, data.length, full);
      }
      // Offsets as numbers where the whole batch's are safe integers (always, in practice).
      const numeric = base + BigInt(bytes.readInt32BE(at + 23)) <= BigInt(Number.MAX_SAFE_INTEGER);
      const firstOffset = Number(base);
      for (let i = 0; i < count; i++) {
        const record = records.next();
        if (numeric) {
          const offset = firstOffset + record.offsetDelta;
          if (offset >= lowest && offset < highest) visit(records, record, offset, times);
        } else {
          const offset = base + BigInt(record.offsetDelta);
          if (offset >= from && offset < to) visit(records, record, offset, times);
        }
        records.skipRest();
      }
    }
  }
}

interface BatchTimes {
  readonly logAppendTime: boolean;
  readonly firstTimestamp: number;
  readonly maxTimestamp: number;
}

/** The fields of the record a RecordCursor is at (the same object each time: read them before the next). */
interface RecordFields {
  offsetDelta: number;
  /** Read only by a cursor that reads timestamps and headers. */
  timestampDelta: number;
  keyStart: number;
  /** -1: no key. */
  keyLength: number;
  valueStart: number;
  /** -1: no value (a tombstone). */
  valueLength: number;
  /** Read only by a cursor that reads timestamps and headers; then read each with header() before skipRest(). */
  headerCount: number;
}

/** Walks the records of a batch: length, attributes, timestamp delta, offset delta, key, value, headers. */
class RecordCursor {
  readonly data: Buffer;
  private at: number;
  private readonly limit: number;
  private readonly full: boolean;
  /** Where the current record ends. */
  private end = 0;
  private readonly fields: RecordFields = { offsetDelta: 0, timestampDelta: 0, keyStart: 0, keyLength: -1, valueStart: 0, valueLength: -1, headerCount: 0 };

  constructor(data: Buffer, at: number, limit: number, full: boolean) {
    this.data = data;
    this.at = at;
    this.limit = limit;
    this.full = full;
  }

  next(): RecordFields {
    const length = this.varint();
    this.end = this.at + length;
    if (length < 0 || this.end > this.limit) throw new Error("a record runs past the end of its batch");
    this.at += 1; // attributes
    const f = this.fields;
    if (this.full) f.timestampDelta = this.varlong();
    else this.skipVarint();
    f.offsetDelta = this.varint();
    f.keyLength = this.varint();
    f.keyStart = this.at;
    if (f.keyLength > 0) this.at += f.keyLength;
    f.valueLength = this.varint();
    f.valueStart = this.at;
    if (this.full) {
      if (f.valueLength > 0) this.at += f.valueLength;
      f.headerCount = this.varint();
    }
    return f;
  }

  /** The next header's name and value (length -1: no value), as positions in `data`. */
  header(): [{ start: number; length: number }, { start: number; length: number }] {
    const nameLength = this.varint();
    const name = { start: this.at, length: nameLength };
    this.at += Math.max(0, nameLength);
    const valueLength = this.varint();
    const value = { start: this.at, length: valueLength };
    this.at += Math.max(0, valueLength);
    return [name, value];
  }

  /** To the end of the current record (what is left of it: its value, headers). */
  skipRest(): void {
    this.at = this.end;
  }

  /** A zigzag-encoded varint of at most 32 bits. */
  private varint(): number {
    const data = this.data;
    let raw = 0;
    let shift = 0;
    let byte: number;
    do {
      byte = data[this.at++]!;
      raw |= (byte & 0x7f) << shift;
      shift += 7;
    } while (byte & 0x80 && shift < 35);
    return (raw >>> 1) ^ -(raw & 1);
  }

  /** A zigzag-encoded varint of up to 64 bits, exact up to 2^53 (a timestamp delta). */
  private varlong(): number {
    const data = this.data;
    let raw = 0;
    let scale = 1;
    let byte: number;
    do {
      byte = data[this.at++]!;
      raw += (byte & 0x7f) * scale;
      scale *= 128;
    } while (byte & 0x80);
    return raw % 2 === 0 ? raw / 2 : -(raw + 1) / 2;
  }

  private skipVarint(): void {
    while (this.data[this.at++]! & 0x80);
  }
}

/** A control batch's type, from its record's key (version int16, type int16): 0 abort, 1 commit. */
function controlType(bytes: Buffer, at: number): number {
  const cursor = new RecordCursor(bytes, at, bytes.length, false);
  const record = cursor.next();
  return record.keyLength >= 4 ? bytes.readInt16BE(record.keyStart + 2) : -1;
}
