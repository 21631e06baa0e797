// The count-and-sum input generator: deterministic, every key present, amounts small integers.
import { test } from "node:test";
import assert from "node:assert/strict";
import { amountsByKey, paymentRecords, payments } from "./payments.ts";

test("the same seed gives the same payments, another seed other ones", () => {
  assert.deepEqual(payments({ count: 1000, keys: 50, seed: 3 }), payments({ count: 1000, keys: 50, seed: 3 }));
  assert.notDeepEqual(payments({ count: 1000, keys: 50, seed: 3 }), payments({ count: 1000, keys: 50, seed: 4 }));
});

test("every key has input, amounts are integers 1 to 100, and a few hot keys carry many records", () => {
  const input = payments({ count: 20_000, keys: 500, seed: 1 });
  const byKey = amountsByKey(input);
  assert.equal(byKey.size, 500);
  assert.ok(input.every((p) => Number.isInteger(p.amount) && p.amount >= 1 && p.amount <= 100));
  const hottest = Math.max(...[...byKey.values()].map((a) => a.length));
  assert.ok(hottest > 500, `the hottest key has ${hottest} records`);
  assert.equal([...byKey.values()].reduce((n, a) => n + a.length, 0), 20_000);
});

test("amounts are kept per key in input order, across calls", () => {
  const byKey = amountsByKey([{ key: "k-1", amount: 3 }, { key: "k-2", amount: 1 }]);
  amountsByKey([{ key: "k-1", amount: 4 }], byKey);
  assert.deepEqual([...byKey], [["k-1", [3, 4]], ["k-2", [1]]]);
});

test("records carry the key and the amount as JSON", () => {
  assert.deepEqual(paymentRecords([{ key: "k-7", amount: 42 }]), [{ key: "k-7", value: '{"amount":42}' }]);
});
