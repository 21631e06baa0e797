import assert from "node:assert/strict";
import { test } from "node:test";
import { ProtocolError, ResponseError } from "@platformatic/kafka";
import { retryDelay } from "./options.ts";

test("retries back off exponentially from 100 ms to 1 s, as Kafka's Java client does", () => {
  const err = new Error("connect ECONNREFUSED");
  assert.deepEqual([1, 2, 3, 4, 5, 6, 30].map((n) => retryDelay({}, "metadata", n, 30, err)), [100, 200, 400, 800, 1000, 1000, 1000]);
});

test("CONCURRENT_TRANSACTIONS, nested in a response error, is retried after 20 ms first", () => {
  const err = new ResponseError(24, 5, { "/results/0": [51, null] }, undefined);
  assert.ok(err.errors.some((e) => e instanceof ProtocolError));
  assert.deepEqual([1, 2, 3, 7].map((n) => retryDelay({}, "addPartitionsToTransaction", n, 30, err)), [20, 40, 80, 1000]);
  const other = new ResponseError(24, 5, { "/results/0": [47, null] }, undefined);
  assert.equal(retryDelay({}, "addPartitionsToTransaction", 1, 30, other), 100);
});
