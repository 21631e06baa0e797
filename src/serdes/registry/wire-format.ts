// The Confluent wire format: magic byte 0, the schema id as a big-endian int32, then the payload; for
// Protobuf the payload starts with the message indexes (which message of the schema file), as zigzag
// varints: a count, then that many indexes, with the single byte 0 meaning [0] (the first message).

export const MAGIC_BYTE = 0;
export const HEADER_BYTES = 5;

/** The schema id of a framed record, or undefined when the bytes are not in the wire format. */
export function schemaIdOf(data: Buffer): number | undefined {
  if (data.length < HEADER_BYTES || data[0] !== MAGIC_BYTE) return undefined;
  return data.readInt32BE(1);
}

export function frame(schemaId: number, payload: Uint8Array, prefix?: Buffer): Buffer {
  const prefixLength = prefix?.length ?? 0;
  const out = Buffer.allocUnsafe(HEADER_BYTES + prefixLength + payload.length);
  out[0] = MAGIC_BYTE;
  out.writeInt32BE(schemaId, 1);
  if (prefix) prefix.copy(out, HEADER_BYTES);
  out.set(payload, HEADER_BYTES + prefixLength);
  return out;
}

/** The message indexes of a Protobuf payload, encoded; [0] is the one byte 0. */
export function encodeMessageIndexes(indexes: readonly number[]): Buffer {
  if (indexes.length === 1 && indexes[0] === 0) return Buffer.from([0]);
  const bytes: number[] = [];
  writeZigzagVarint(bytes, indexes.length);
  for (const index of indexes) writeZigzagVarint(bytes, index);
  return Buffer.from(bytes);
}

/** Reads the message indexes at `offset`; returns them with the offset of the Protobuf message after them. */
export function decodeMessageIndexes(data: Buffer, offset: number): { indexes: number[]; next: number } {
  let position = offset;
  const read = (): number => {
    const [value, next] = readZigzagVarint(data, position);
    position = next;
    return value;
  };
  const count = read();
  if (count === 0) return { indexes: [0], next: position };
  if (count < 0 || count > 64) throw new Error(`bad Protobuf message index count ${count}`);
  const indexes: number[] = [];
  for (let i = 0; i < count; i++) indexes.push(read());
  return { indexes, next: position };
}

function writeZigzagVarint(out: number[], value: number): void {
  let v = ((value << 1) ^ (value >> 31)) >>> 0;
  while (v > 0x7f) {
    out.push((v & 0x7f) | 0x80);
    v >>>= 7;
  }
  out.push(v);
}

function readZigzagVarint(data: Buffer, offset: number): [number, number] {
  let result = 0;
  let shift = 0;
  let position = offset;
  for (;;) {
    if (position >= data.length) throw new Error("truncated Protobuf message indexes");
    const byte = data[position++]!;
    result |= (byte & 0x7f) << shift;
    if ((byte & 0x80) === 0) break;
    shift += 7;
    if (shift > 28) throw new Error("Protobuf message index varint is too long");
  }
  const unsigned = result >>> 0;
  return [(unsigned >>> 1) ^ -(unsigned & 1), position];
}
