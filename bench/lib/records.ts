// The benchmark's input records: key `key-<n>` over a key space, a JSON value of ~200 bytes. Partitions
// are chosen from the key number (a key always lands in the same partition), timestamps spread evenly
// over `spanMs` so that W3's one-minute windows see the same data on every run.
export interface InputShape {
  readonly keys: number;
  readonly partitions: number;
  /** Event time of record 0. */
  readonly baseTime: number;
  /** Event time from the first record to the last. */
  readonly spanMs: number;
  readonly count: number;
}

/** The value's fields; `sentAt` is the wall-clock send time (W5 measures latency from it). */
export interface InputValue {
  readonly id: number;
  readonly user: string;
  readonly amount: number;
  readonly sentAt: number;
  readonly pad: string;
}

const valueBytes = 200;
const padding = "x".repeat(valueBytes);

export function keyOf(i: number, shape: InputShape): number {
  // A multiplicative hash spreads consecutive records over the key space in no particular order.
  return Math.floor(((Math.imul(i, 0x9e3779b1) >>> 0) / 4294967296) * shape.keys);
}

export function inputValue(id: number, user: string, sentAt: number): Buffer {
  const head = `{"id":${id},"user":"${user}","amount":${(id * 7919) % 1000},"sentAt":${sentAt},"pad":"`;
  return Buffer.from(head + padding.slice(0, Math.max(0, valueBytes - head.length - 2)) + '"}');
}

export interface InputRecord {
  readonly key: Buffer;
  readonly value: Buffer;
  readonly partition: number;
  readonly timestamp: number;
}

export function inputRecord(i: number, shape: InputShape): InputRecord {
  const k = keyOf(i, shape);
  const user = `key-${k}`;
  const timestamp = shape.baseTime + Math.floor((i * shape.spanMs) / Math.max(1, shape.count - 1));
  return { key: Buffer.from(user), value: inputValue(i, user, timestamp), partition: k % shape.partitions, timestamp };
}

/**
 * A count store's changelog record, as each system writes it: a string key, and in Weir's changelog Kafka's
 * ValueAndTimestamp layout (the int64 timestamp, then the int64 count); in Kafka Streams' the bare int64 count,
 * the timestamp being the record's (its timestamped store prepends it when it restores the record).
 */
export function countChangelogRecord(i: number, partitions: number, format: "weir" | "kafka-streams" = "weir"): InputRecord {
  const count = BigInt(i % 1000) + 1n;
  const value = Buffer.allocUnsafe(format === "weir" ? 16 : 8);
  if (format === "weir") {
    value.writeBigInt64BE(0n, 0);
    value.writeBigInt64BE(count, 8);
  } else {
    value.writeBigInt64BE(count, 0);
  }
  // Keys in hash order, not sorted: a real changelog arrives in whatever order the keys were updated.
  const k = Math.imul(i, 0x9e3779b1) >>> 0;
  return { key: Buffer.from(`key-${k}`), value, partition: k % partitions, timestamp: 0 };
}
