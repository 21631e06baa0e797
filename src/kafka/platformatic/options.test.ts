import assert from "node:assert/strict";
import { test } from "node:test";
import { ResponseError } from "@platformatic/kafka";
import { retryDelay } from "./options.ts";

const attempts = [1, 2, 3, 4, 5, 6, 30];

test("retries back off exponentially from 100 ms to 1 s, as Kafka's Java client does", () => {
  const err = new Error("connection refused");
  assert.deepEqual(attempts.map((n) => retryDelay({}, "fetch", n, 30, err)), [100, 200, 400, 800, 1000, 1000, 1000]);
});

test("CONCURRENT_TRANSACTIONS (the previous transaction's markers are being written) backs off from 20 ms, as the Java producer does", () => {
  // API key 24 is AddPartitionsToTxn; 51 is CONCURRENT_TRANSACTIONS.
  const err = new ResponseError(24, 4, { "/results/0/topics/0/partitions/0": [51, null] }, {});
  assert.deepEqual(attempts.map((n) => retryDelay({}, "addPartitionsToTransaction", n, 30, err)), [20, 40, 80, 160, 320, 640, 1000]);
});
