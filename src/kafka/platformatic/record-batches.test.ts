import assert from "node:assert/strict";
import { test } from "node:test";
import { createRecordsBatch, Reader, readRecordsBatches, type MessageRecord } from "@platformatic/kafka";
import type { ChangelogSink } from "../port.ts";
import { FetchedBatches, NO_END } from "./record-batches.ts";

const IS_TRANSACTIONAL = 1 << 4;
const IS_CONTROL = 1 << 5;

interface BatchSpec {
  readonly base: number;
  readonly records: readonly { key: string | null; value: string | null; headers?: Record<string, string> }[];
  readonly compression?: "gzip" | "snappy" | "lz4" | "zstd";
  readonly producerId?: bigint;
  readonly transactional?: boolean;
}

function batch(spec: BatchSpec): Buffer {
  const messages: MessageRecord[] = spec.records.map((r) => ({
    topic: "t",
    key: r.key === null ? (undefined as unknown as Buffer) : Buffer.from(r.key),
    value: r.value === null ? (null as unknown as Buffer) : Buffer.from(r.value),
    ...(r.headers ? { headers: new Map(Object.entries(r.headers).map(([k, v]) => [Buffer.from(k), Buffer.from(v)])) } : {}),
    timestamp: 1_700_000_000_000n,
  }));
  const bytes = createRecordsBatch(messages, {
    ...(spec.compression ? { compression: spec.compression } : {}),
    ...(spec.producerId === undefined ? {} : { producerId: spec.producerId }),
    ...(spec.transactional ? { transactionalId: "tx" } : {}),
  }).buffer;
  bytes.writeBigInt64BE(BigInt(spec.base), 0);
  return bytes;
}

/** A transaction marker: a control batch of one record whose key is version 0, type (0 abort, 1 commit). */
function marker(base: number, producerId: bigint, commit: boolean): Buffer {
  const key = Buffer.from([0, 0, 0, commit ? 1 : 0]);
  const bytes = createRecordsBatch([{ topic: "t", key, value: Buffer.from([0, 0, 0, 0, 0, 0]) }], { producerId, transactionalId: "tx" }).buffer;
  bytes.writeBigInt64BE(BigInt(base), 0);
  bytes.writeInt16BE(IS_CONTROL | IS_TRANSACTIONAL, 21);
  return bytes;
}

class Collected implements ChangelogSink {
  readonly records: [string, string | null][] = [];
  add(key: Buffer, value: Buffer | null): void {
    this.records.push([key.toString(), value === null ? null : value.toString()]);
  }
  addFrom(source: Buffer, keyStart: number, keyLength: number, valueStart: number, valueLength: number): void {
    this.records.push([source.toString("latin1", keyStart, keyStart + keyLength), valueLength < 0 ? null : source.toString("latin1", valueStart, valueStart + valueLength)]);
  }
}

function decode(bytes: Buffer, { from = 0n, to = 1n << 40n, aborted = [] as { producerId: bigint; firstOffset: bigint }[] } = {}) {
  const fetched = new FetchedBatches("t", 0, bytes, aborted, from, to);
  const sink = new Collected();
  const last = fetched.hasRecords ? fetched.copyTo(sink) : undefined;
  return { records: sink.records, last, next: fetched.next };
}

test("records are decoded as the client's own decoder reads them, on every codec, headers skipped", () => {
  for (const compression of [undefined, "gzip", "snappy", "lz4", "zstd"] as const) {
    const records = Array.from({ length: 300 }, (_, i) => ({
      key: i % 7 === 3 ? null : `key-${i % 50}`,
      value: i % 11 === 5 ? null : `value-${i}-${"x".repeat(i % 200)}`,
      ...(i % 5 === 0 ? { headers: { origin: `h${i}` } } : {}),
    }));
    const bytes = Buffer.concat([batch({ base: 100, records: records.slice(0, 150), ...(compression ? { compression } : {}) }), batch({ base: 250, records: records.slice(150), ...(compression ? { compression } : {}) })]);
    const expected = readRecordsBatches(Reader.from(bytes))
      .flatMap((b) => b.records)
      .filter((r) => r.key !== null && r.key !== undefined && r.key.length > 0)
      .map((r) => [r.key!.toString(), r.value === null || r.value === undefined ? null : r.value.toString()]);
    const decoded = decode(bytes);
    assert.equal(expected.length, records.filter((r) => r.key !== null).length, `${compression}: the oracle reads every keyed record`);
    assert.deepEqual(decoded.records, expected, `${compression ?? "none"}`);
    assert.equal(decoded.last, "399");
    assert.equal(decoded.next, 400n);
  }
});

test("messages: offsets, timestamps, keys, values and headers as the client's own decoder reads them, on every codec", () => {
  for (const compression of [undefined, "gzip", "zstd"] as const) {
    const records = Array.from({ length: 120 }, (_, i) => ({
      key: i % 9 === 4 ? null : `key-${i}`,
      value: i % 13 === 6 ? null : `value-${i}`,
      ...(i % 4 === 0 ? { headers: { origin: `h${i}`, "weir.é": "x".repeat(i % 3) } } : {}),
    }));
    const bytes = Buffer.concat([batch({ base: 7, records: records.slice(0, 60), ...(compression ? { compression } : {}) }), batch({ base: 67, records: records.slice(60), ...(compression ? { compression } : {}) })]);
    const expected = readRecordsBatches(Reader.from(bytes)).flatMap((b) =>
      b.records.map((r) => ({
        offset: String(b.firstOffset + BigInt(r.offsetDelta)),
        key: r.key === null || r.key === undefined ? null : r.key.toString(),
        value: r.value === null || r.value === undefined ? null : r.value.toString(),
        timestamp: String(b.firstTimestamp + r.timestampDelta),
        headers: r.headers.length === 0 ? undefined : Object.fromEntries(r.headers.map(([k, v]) => [k!.toString(), v === null || v === undefined ? undefined : v.toString()])),
      })),
    );
    const fetched = new FetchedBatches("t", 0, bytes, [], 10n, NO_END);
    const decoded = fetched.messages().map((m) => ({
      offset: m.offset,
      key: m.key === null ? null : m.key.toString(),
      value: m.value === null ? null : m.value.toString(),
      timestamp: m.timestamp,
      headers: m.headers === undefined ? undefined : Object.fromEntries(Object.entries(m.headers).map(([k, v]) => [k, v === undefined ? undefined : Buffer.from(v).toString()])),
    }));
    assert.deepEqual(decoded, expected.slice(3), `${compression ?? "none"}: from offset 10 on`);
    assert.equal(fetched.first, 7n);
    assert.equal(fetched.next, 127n);
  }
});

test("only records in [from, to) are copied, and a batch cut short at the response's end is left for the next fetch", () => {
  const records = Array.from({ length: 10 }, (_, i) => ({ key: `k${i}`, value: `v${i}` }));
  const whole = Buffer.concat([batch({ base: 0, records }), batch({ base: 10, records })]);
  const cut = whole.subarray(0, whole.length - 5);
  const decoded = decode(cut, { from: 3n, to: 8n });
  assert.deepEqual(decoded.records.map(([k]) => k), ["k3", "k4", "k5", "k6", "k7"]);
  assert.equal(decoded.last, "7");
  assert.equal(decoded.next, 10n, "the second batch is incomplete: the next fetch starts at it");
  assert.equal(decode(cut, { from: 10n }).last, undefined);
  assert.equal(new FetchedBatches("t", 0, cut, [], 10n, 100n).hasRecords, false);
});

test("read_committed: an aborted transaction's batches are skipped up to its marker, committed ones kept", () => {
  const bytes = Buffer.concat([
    batch({ base: 0, records: [{ key: "a", value: "1" }], producerId: 7n, transactional: true }),
    batch({ base: 1, records: [{ key: "b", value: "aborted" }], producerId: 8n, transactional: true }),
    marker(2, 7n, true),
    batch({ base: 3, records: [{ key: "c", value: "aborted too" }], producerId: 8n, transactional: true }),
    marker(4, 8n, false),
    batch({ base: 5, records: [{ key: "d", value: "after the abort" }], producerId: 8n, transactional: true }),
    marker(6, 8n, true),
  ]);
  const decoded = decode(bytes, { aborted: [{ producerId: 8n, firstOffset: 1n }] });
  assert.deepEqual(decoded.records, [
    ["a", "1"],
    ["d", "after the abort"],
  ]);
  assert.equal(decoded.last, "5");
  assert.equal(decoded.next, 7n, "past the trailing marker");
  // Without the broker's list, nothing is aborted: the list, not the marker, starts a skipped range.
  assert.equal(decode(bytes).records.length, 4);
});

test("a record batch of an older format, or shorter than its header, is refused with the partition and offset named", () => {
  const bytes = batch({ base: 42, records: [{ key: "a", value: "1" }] });
  bytes.writeInt8(1, 16);
  assert.throws(() => decode(bytes), /t:0 has a record batch of format 1 at offset 42/);
  const short = batch({ base: 43, records: [{ key: "a", value: "1" }] });
  short.writeInt32BE(0, 8);
  assert.throws(() => decode(short), /t:0 has a record batch of 0 bytes at offset 43, shorter than its header/);
});
