import assert from "node:assert/strict";
import { randomBytes, randomInt } from "node:crypto";
import { test } from "node:test";
import { ChangelogBatch } from "./changelog-batch.ts";

/** The indices of the last record of each key, in key byte order: what latestInKeyOrder must return. */
function expectedOrder(records: readonly (readonly [Buffer, Buffer | null])[]): number[] {
  const last = new Map<string, number>();
  records.forEach(([key], i) => last.set(key.toString("hex"), i));
  return [...last.values()].sort((a, b) => Buffer.compare(records[a]![0], records[b]![0]));
}

test("a batch keeps copies of its records' bytes, tombstones as null", () => {
  const batch = new ChangelogBatch(4, 1);
  const key = Buffer.from("a");
  batch.add(key, Buffer.from("1"));
  batch.add(Buffer.from("bb"), null);
  batch.add(Buffer.from(""), Buffer.from(""));
  key[0] = 0x7a;
  assert.equal(batch.length, 3);
  assert.equal(batch.bytes, 4);
  assert.equal(batch.key(0).toString(), "a");
  assert.equal(batch.value(0)!.toString(), "1");
  assert.equal(batch.value(1), null);
  assert.equal(batch.key(2).length, 0);
  assert.deepEqual(batch.value(2), Buffer.alloc(0));
  batch.clear();
  assert.equal(batch.length, 0);
  assert.equal(batch.bytes, 0);
});

test("latestInKeyOrder: the last record of each key, keys in unsigned byte order", () => {
  const records = [["b", "1"], ["a", "1"], ["b", "2"], ["", "e"], ["a\0", "z"], ["a", null], ["\xff", "f"]].map(
    ([k, v]) => [Buffer.from(k!, "latin1"), v === null ? null : Buffer.from(v!)] as const,
  );
  const batch = ChangelogBatch.of(records.map(([key, value], i) => ({ key, value, offset: String(i) })));
  assert.deepEqual([...batch.latestInKeyOrder()], expectedOrder(records));
  assert.deepEqual([...batch.latestInKeyOrder()].map((i) => batch.key(i).toString("latin1")), ["", "a", "a\0", "b", "\xff"]);
});

test("latestInKeyOrder agrees with Buffer.compare on random keys: shared prefixes, zero bytes, short keys, duplicates, large batches", () => {
  const special = [Buffer.alloc(0), Buffer.from([0]), Buffer.from([0, 0]), Buffer.from("key-"), Buffer.from("key-\0")];
  for (let round = 0; round < 60; round++) {
    const n = round % 20 === 0 ? 66_000 + randomInt(0, 2_000) : round % 20 === 10 ? 140_000 + randomInt(0, 70_000) : randomInt(0, 500);
    const prefix = randomBytes(randomInt(0, 8));
    const records: (readonly [Buffer, Buffer | null])[] = [];
    const batch = new ChangelogBatch();
    for (let i = 0; i < n; i++) {
      const tail = randomBytes(randomInt(0, 9)).map((x) => (round % 3 === 0 ? x % 3 : x));
      const key = Math.random() < 0.1 ? special[randomInt(special.length)]! : Buffer.concat([prefix, tail]);
      const value = Math.random() < 0.2 ? null : randomBytes(randomInt(0, 5));
      records.push([key, value]);
      batch.add(key, value);
    }
    const order = [...batch.latestInKeyOrder()];
    assert.deepEqual(order, expectedOrder(records), `round ${round}, ${n} records`);
    for (const i of order) {
      assert.ok(batch.key(i).equals(records[i]![0]));
      assert.deepEqual(batch.value(i), records[i]![1]);
    }
  }
});
