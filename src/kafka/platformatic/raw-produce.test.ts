import assert from "node:assert/strict";
import { test } from "node:test";
import { crc32c, Reader, readRecordsBatches } from "@platformatic/kafka";
import type { ProducedRecord } from "../types.ts";
import { encodeRecordBatch, nextSequence } from "./raw-produce.ts";
import { FetchedBatches, NO_END } from "./record-batches.ts";

const identity = { producerId: 4242n, producerEpoch: 7, transactional: true };

function record(key: string | null, value: string | null, timestamp: number, headers: Record<string, string> = {}): ProducedRecord {
  return {
    topic: "t",
    key: key === null ? null : Buffer.from(key),
    value: value === null ? null : Buffer.from(value),
    timestamp,
    headers: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, Buffer.from(v)])),
  };
}

const records: ProducedRecord[] = [
  record("a", "1", 1_700_000_000_500),
  record(null, "tombstone key", 1_700_000_000_000), // earlier than the first: a negative timestamp delta
  record("c", null, 1_700_000_009_000, { origin: "x", "é-utf8": "ü" }),
  record("d".repeat(300), "v".repeat(70_000), 1_700_000_001_000), // lengths over one varint byte
];

test("a record batch decodes, with the client's reader, to the records, producer and sequence it was given", () => {
  const bytes = encodeRecordBatch(records, 0, records.length, identity, 123);
  const [batch, ...rest] = readRecordsBatches(Reader.from(bytes));
  assert.equal(rest.length, 0);
  assert.equal(batch!.magic, 2);
  assert.equal(batch!.length, bytes.length - 12);
  assert.equal(batch!.attributes, 1 << 4, "transactional, uncompressed, create time");
  assert.equal(batch!.lastOffsetDelta, 3);
  assert.equal(batch!.firstTimestamp, 1_700_000_000_500n);
  assert.equal(batch!.maxTimestamp, 1_700_000_009_000n);
  assert.equal(batch!.producerId, 4242n);
  assert.equal(batch!.producerEpoch, 7);
  assert.equal(batch!.firstSequence, 123);
  assert.equal(batch!.crc, crc32c(bytes.subarray(21)), "the CRC covers attributes to the end");
  assert.deepEqual(
    batch!.records.map((r) => [r.offsetDelta, Number(r.timestampDelta), r.key?.toString() ?? null, r.value?.toString() ?? null, r.headers.map(([k, v]) => [k?.toString(), v?.toString()])]),
    [
      [0, 0, "a", "1", []],
      [1, -500, null, "tombstone key", []],
      [2, 8500, "c", null, [["origin", "x"], ["é-utf8", "ü"]]],
      [3, 500, "d".repeat(300), "v".repeat(70_000), []],
    ],
  );
});

test("a record batch decodes with Weir's fetch decoder too, and a slice encodes only its records", () => {
  const bytes = encodeRecordBatch(records, 1, 3, { ...identity, transactional: false }, -1);
  assert.equal(bytes.readInt16BE(21), 0, "not transactional");
  assert.equal(bytes.readInt32BE(53), -1, "no sequence");
  const decoded = new FetchedBatches("t", 0, bytes, [], 0n, NO_END).messages();
  assert.deepEqual(
    decoded.map((m) => [m.offset, m.key?.toString() ?? null, m.value?.toString() ?? null, m.timestamp]),
    [
      ["0", null, "tombstone key", "1700000000000"],
      ["1", "c", null, "1700000009000"],
    ],
  );
  assert.equal(decoded[1]!.headers?.["é-utf8"]?.toString(), "ü");
});

test("an empty batch is refused; sequences wrap to 0 after 2^31 - 1, as Kafka's", () => {
  assert.throws(() => encodeRecordBatch(records, 2, 2, identity, 0), /at least one record/);
  assert.equal(nextSequence(10, 5), 15);
  assert.equal(nextSequence(2 ** 31 - 2, 3), 1);
});
