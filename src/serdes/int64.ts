// Kafka's big-endian int64 (LongSerializer's bytes, window starts and ends, timestamps in stored values) as two
// 32-bit halves, without a BigInt per value: exact for every integer a number holds exactly (and rounded as
// `Number(bigint)` rounds beyond), about a third of the cost on the per-record path of stores and serdes.
const TWO_TO_32 = 2 ** 32;

/** Writes integer `value` at `at`; a RangeError for a fraction, or outside the int64 range, as BigInt gives. */
export function writeInt64(out: Buffer, value: number, at: number): void {
  if (!Number.isInteger(value)) throw new RangeError(`${value} is not an integer: it has no int64 encoding`);
  const high = Math.floor(value / TWO_TO_32);
  out.writeInt32BE(high, at);
  out.writeUInt32BE(value - high * TWO_TO_32, at + 4);
}

export function readInt64(data: Buffer, at: number): number {
  return data.readInt32BE(at) * TWO_TO_32 + data.readUInt32BE(at + 4);
}
