// Weir's own Produce request on @platformatic/kafka (version 11, which every broker since Kafka 3.7 answers),
// for the exactly-once output: each partition's records are encoded straight from the runtime's records into
// one record batch (magic 2, uncompressed) in one buffer, where the client builds a writer and a growing
// buffer per record and copies each batch twice (docs/architecture.md, "The Kafka client port"). The client
// still owns the transaction (InitProducerId, AddPartitionsToTxn, EndTxn) and the connections.
import { createAPI, crc32c, type Connection, type Reader, Writer } from "@platformatic/kafka";
import type { ProducedRecord } from "../types.ts";

const PRODUCE = 0;
const RECORD_BATCH_OVERHEAD = 61;
const MAGIC = 2;
const IS_TRANSACTIONAL = 1 << 4;
/** What the producer writes as the batch's partition leader epoch; the broker sets the real one. */
const NO_PARTITION_LEADER_EPOCH = -1;
const MAX_SEQUENCE = 2 ** 31;

export interface ProducerIdentity {
  readonly producerId: bigint;
  readonly producerEpoch: number;
  readonly transactional: boolean;
}

/** The bytes of an unsigned varint. */
function uvarintSize(value: number): number {
  let size = 1;
  while (value >= 128) {
    value = Math.floor(value / 128);
    size++;
  }
  return size;
}

/** Zig-zag, as Kafka's varint and varlong: safe for any integer a JavaScript number holds exactly. */
function zigzag(value: number): number {
  return value >= 0 ? value * 2 : -value * 2 - 1;
}

function writeUvarint(buffer: Buffer, at: number, value: number): number {
  while (value >= 128) {
    buffer[at++] = (value % 128) | 128;
    value = Math.floor(value / 128);
  }
  buffer[at++] = value;
  return at;
}

/** A record's body (attributes to headers), without its own length prefix. */
function recordBodySize(r: ProducedRecord, offsetDelta: number, timestampDelta: number): number {
  let size = 1 + uvarintSize(zigzag(timestampDelta)) + uvarintSize(zigzag(offsetDelta));
  size += r.key === null ? 1 : uvarintSize(zigzag(r.key.length)) + r.key.length;
  size += r.value === null ? 1 : uvarintSize(zigzag(r.value.length)) + r.value.length;
  let headers = 0;
  for (const name in r.headers) {
    const value = r.headers[name];
    if (value === undefined) continue;
    headers++;
    const nameBytes = Buffer.byteLength(name);
    size += uvarintSize(zigzag(nameBytes)) + nameBytes + uvarintSize(zigzag(value.length)) + value.length;
  }
  return size + uvarintSize(zigzag(headers));
}

function writeBytes(buffer: Buffer, at: number, bytes: Buffer | null): number {
  if (bytes === null) return writeUvarint(buffer, at, 1); // -1, zig-zagged
  at = writeUvarint(buffer, at, zigzag(bytes.length));
  buffer.set(bytes, at); // TypedArray's set: cheaper than Buffer's copy for a record's few bytes
  return at + bytes.length;
}

/**
 * `records[from, to)` as one record batch of `identity`'s producer starting at `baseSequence` (-1: none):
 * timestamps are create times relative to the first record's, offsets relative to the batch's first.
 */
export function encodeRecordBatch(records: readonly ProducedRecord[], from: number, to: number, identity: ProducerIdentity, baseSequence: number): Buffer {
  const count = to - from;
  if (count <= 0) throw new RangeError("a record batch needs at least one record");
  const baseTimestamp = records[from]!.timestamp;
  let maxTimestamp = baseTimestamp;
  let size = RECORD_BATCH_OVERHEAD;
  const bodies = new Array<number>(count);
  for (let i = 0; i < count; i++) {
    const r = records[from + i]!;
    if (r.timestamp > maxTimestamp) maxTimestamp = r.timestamp;
    const body = recordBodySize(r, i, r.timestamp - baseTimestamp);
    bodies[i] = body;
    size += uvarintSize(zigzag(body)) + body;
  }
  const buffer = Buffer.allocUnsafe(size);
  buffer.writeBigInt64BE(0n, 0); // base offset: the broker assigns it
  buffer.writeInt32BE(size - 12, 8); // batch length: everything after this field
  buffer.writeInt32BE(NO_PARTITION_LEADER_EPOCH, 12);
  buffer.writeInt8(MAGIC, 16);
  // 17: the CRC, below
  buffer.writeInt16BE(identity.transactional ? IS_TRANSACTIONAL : 0, 21);
  buffer.writeInt32BE(count - 1, 23); // last offset delta
  buffer.writeBigInt64BE(BigInt(baseTimestamp), 27);
  buffer.writeBigInt64BE(BigInt(maxTimestamp), 35);
  buffer.writeBigInt64BE(identity.producerId, 43);
  buffer.writeInt16BE(identity.producerEpoch, 51);
  buffer.writeInt32BE(baseSequence, 53);
  buffer.writeInt32BE(count, 57);
  let at = RECORD_BATCH_OVERHEAD;
  for (let i = 0; i < count; i++) {
    const r = records[from + i]!;
    at = writeUvarint(buffer, at, zigzag(bodies[i]!));
    buffer[at++] = 0; // record attributes: unused
    at = writeUvarint(buffer, at, zigzag(r.timestamp - baseTimestamp));
    at = writeUvarint(buffer, at, zigzag(i));
    at = writeBytes(buffer, at, r.key);
    at = writeBytes(buffer, at, r.value);
    let headers = 0;
    for (const name in r.headers) if (r.headers[name] !== undefined) headers++;
    at = writeUvarint(buffer, at, zigzag(headers));
    for (const name in r.headers) {
      const value = r.headers[name];
      if (value === undefined) continue;
      const nameBytes = Buffer.byteLength(name);
      at = writeUvarint(buffer, at, zigzag(nameBytes));
      at += buffer.write(name, at, nameBytes, "utf8");
      at = writeBytes(buffer, at, value);
    }
  }
  if (at !== size) throw new Error(`record batch encoding wrote ${at} bytes of ${size}`);
  buffer.writeUInt32BE(crc32c(buffer.subarray(21)), 17);
  return buffer;
}

/** The sequence after `sequence` plus `count` records: Kafka's sequences wrap to 0 after 2^31 - 1. */
export function nextSequence(sequence: number, count: number): number {
  return (sequence + count) % MAX_SEQUENCE;
}

export interface ProducePartition {
  readonly partition: number;
  /** One record batch: a Produce request from version 3 on carries exactly one per partition. */
  readonly batch: Buffer;
}

export interface ProduceTopic {
  readonly topic: string;
  readonly partitions: readonly ProducePartition[];
}

export interface ProducedPartition {
  readonly partition: number;
  readonly errorCode: number;
  readonly baseOffset: bigint;
  readonly errorMessage: string | null;
}

export interface ProduceResponse {
  readonly topics: { readonly topic: string; readonly partitions: ProducedPartition[] }[];
}

function createRequest(transactionalId: string | null, acks: number, timeoutMs: number, topics: readonly ProduceTopic[]): Writer {
  return Writer.create()
    .appendString(transactionalId)
    .appendInt16(acks)
    .appendInt32(timeoutMs)
    .appendArray(topics as ProduceTopic[], (w, t) => {
      w.appendString(t.topic).appendArray(t.partitions as ProducePartition[], (p, { partition, batch }) => {
        p.appendInt32(partition).appendUnsignedVarInt(batch.length + 1).append(batch);
      });
    })
    .appendTaggedFields();
}

/** Produce response v11, errors returned per partition rather than thrown, for the caller to retry or not. */
function parseResponse(_correlationId: number, _apiKey: number, _apiVersion: number, reader: Reader): ProduceResponse {
  const topics = reader.readArray((r) => {
    const topic = r.readString();
    const partitions = r.readArray((p): ProducedPartition => {
      const partition = p.readInt32();
      const errorCode = p.readInt16();
      const baseOffset = p.readInt64();
      p.readInt64(); // log_append_time_ms
      p.readInt64(); // log_start_offset
      p.readArray((e) => {
        e.readInt32(); // batch_index
        e.readNullableString(); // batch_index_error_message
      });
      const errorMessage = p.readNullableString();
      p.readTaggedFields(); // current_leader (tag 0): the metadata refresh before a retry finds it
      return { partition, errorCode, baseOffset, errorMessage };
    }, true, false);
    r.readTaggedFields();
    return { topic, partitions };
  }, true, false);
  reader.readInt32(); // throttle_time_ms
  return { topics };
}

const produceApi = createAPI<Parameters<typeof createRequest>, ProduceResponse>(PRODUCE, 11, createRequest, parseResponse);

/** One Produce request (acks all) on `connection`, the leader of every partition in `topics`. */
export function produce(connection: Connection, transactionalId: string | null, timeoutMs: number, topics: readonly ProduceTopic[]): Promise<ProduceResponse> {
  return produceApi.async(connection, transactionalId, -1, timeoutMs, topics);
}
