import assert from "node:assert/strict";
import { test } from "node:test";
import { readInt64, writeInt64 } from "./int64.ts";

test("int64 halves write and read Kafka's big-endian int64 exactly as BigInt does, negatives and the safe range's ends too", () => {
  const values = [0, 1, -1, 255, 2 ** 31, -(2 ** 31) - 1, 2 ** 32, 2 ** 32 + 1, -(2 ** 32) - 7, 1_700_000_000_123, -1_700_000_000_123, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER, 2 ** 62];
  for (const v of values) {
    const ours = Buffer.alloc(10);
    writeInt64(ours, v, 1);
    const theirs = Buffer.alloc(10);
    theirs.writeBigInt64BE(BigInt(v), 1);
    assert.deepEqual(ours, theirs, `bytes of ${v}`);
    assert.equal(readInt64(theirs, 1), Number(theirs.readBigInt64BE(1)), `value of ${v}`);
  }
  const big = Buffer.from("7fffffffffffffff", "hex");
  assert.equal(readInt64(big, 0), Number(big.readBigInt64BE(0)), "beyond the safe range, rounded as Number(bigint)");
});

test("a fraction or a value outside int64 is refused, as BigInt refuses it", () => {
  const out = Buffer.alloc(8);
  assert.throws(() => writeInt64(out, 1.5, 0), RangeError);
  assert.throws(() => writeInt64(out, Number.NaN, 0), RangeError);
  assert.throws(() => writeInt64(out, 2 ** 63, 0), RangeError);
});
