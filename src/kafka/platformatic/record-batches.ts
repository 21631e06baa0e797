// Changelog records decoded straight from a fetch response's bytes (Kafka's record batch format, magic 2)
// into the runtime's sink: no object and no Buffer view per record. The client's own decoder makes a record
// object, a key and a value view and a header array per record, and Weir's fetcher a message on top: during a
// large restore that garbage, not the store, was most of the V8 heap (docs/architecture.md, "Restore").
// read_committed is filtered as the Java consumer does it, on the batch headers alone.
import { compressionsAlgorithmsByBitmask } from "@platformatic/kafka";
import type { ChangelogRecords, ChangelogSink } from "../port.ts";

/** Base offset and batch length: the bytes of a batch before its `length` counts. */
const LOG_OVERHEAD = 12;
/** A batch's header, up to its first record. */
const HEADER = 61;
const COMPRESSION = 0x07;
const IS_TRANSACTIONAL = 1 << 4;
const IS_CONTROL = 1 << 5;

export interface AbortedTransaction {
  readonly producerId: bigint;
  readonly firstOffset: bigint;
}

/** One fetched partition's record batches, as the broker returned them (the last one possibly cut short). */
export class FetchedBatches implements ChangelogRecords {
  readonly topic: string;
  readonly partition: number;
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
    let next: bigint | undefined;
    for (let at = 0; bytes.length - at >= HEADER; ) {
      const end = at + LOG_OVERHEAD + bytes.readInt32BE(at + 8);
      if (end > bytes.length) break;
      const base = bytes.readBigInt64BE(at);
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
    this.next = next;
  }

  /** Whether any batch may hold records to copy. */
  get hasRecords(): boolean {
    return this.kept.length > 0;
  }

  copyTo(sink: ChangelogSink): string | undefined {
    let last: bigint | number | undefined;
    const { bytes, from, to } = this;
    for (const at of this.kept) {
      const base = bytes.readBigInt64BE(at);
      const end = at + LOG_OVERHEAD + bytes.readInt32BE(at + 8);
      const attributes = bytes.readInt16BE(at + 21);
      const count = bytes.readInt32BE(at + 57);
      let records = new RecordCursor(bytes, at + HEADER);
      const compression = attributes & COMPRESSION;
      if (compression !== 0) {
        const algorithm = compressionsAlgorithmsByBitmask[compression as keyof typeof compressionsAlgorithmsByBitmask] as { decompressSync(data: Buffer): Buffer } | undefined;
        if (!algorithm) throw new Error(`${this.topic}:${this.partition} has a record batch compressed with an unknown codec (${compression}) at offset ${base}`);
        records = new RecordCursor(algorithm.decompressSync(bytes.subarray(at + HEADER, end)), 0);
      }
      // Offsets as numbers where the whole batch's are safe integers (always, in practice).
      const numeric = base + BigInt(bytes.readInt32BE(at + 23)) <= BigInt(Number.MAX_SAFE_INTEGER);
      const first = Number(base);
      const lowest = Number(from);
      const highest = Number(to);
      for (let i = 0; i < count; i++) {
        const record = records.next();
        if (numeric) {
          const offset = first + record.offsetDelta;
          if (offset < lowest || offset >= highest) continue;
          last = offset;
        } else {
          const offset = base + BigInt(record.offsetDelta);
          if (offset < from || offset >= to) continue;
          last = offset;
        }
        if (record.keyLength >= 0) sink.addFrom(records.data, record.keyStart, record.keyLength, record.valueStart, record.valueLength);
      }
    }
    return last === undefined ? undefined : String(last);
  }
}

/** The fields of the record a RecordCursor is at (the same object each time: read them before the next). */
interface RecordFields {
  offsetDelta: number;
  keyStart: number;
  /** -1: no key. */
  keyLength: number;
  valueStart: number;
  /** -1: no value (a tombstone). */
  valueLength: number;
}

/** Walks the records of a batch: length, attributes, timestamp delta, offset delta, key, value, headers. */
class RecordCursor {
  readonly data: Buffer;
  private at: number;
  private readonly fields: RecordFields = { offsetDelta: 0, keyStart: 0, keyLength: -1, valueStart: 0, valueLength: -1 };

  constructor(data: Buffer, at: number) {
    this.data = data;
    this.at = at;
  }

  next(): RecordFields {
    const length = this.varint();
    const end = this.at + length;
    if (end > this.data.length) throw new Error("a record runs past the end of its batch");
    this.at += 1; // attributes
    this.skipVarint(); // timestamp delta (a varlong)
    const f = this.fields;
    f.offsetDelta = this.varint();
    f.keyLength = this.varint();
    f.keyStart = this.at;
    if (f.keyLength > 0) this.at += f.keyLength;
    f.valueLength = this.varint();
    f.valueStart = this.at;
    // Headers are not part of a store's state: skipped with the rest of the record.
    this.at = end;
    return f;
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

  private skipVarint(): void {
    while (this.data[this.at++]! & 0x80);
  }
}

/** A control batch's type, from its record's key (version int16, type int16): 0 abort, 1 commit. */
function controlType(bytes: Buffer, at: number): number {
  const cursor = new RecordCursor(bytes, at);
  const record = cursor.next();
  return record.keyLength >= 4 ? bytes.readInt16BE(record.keyStart + 2) : -1;
}
