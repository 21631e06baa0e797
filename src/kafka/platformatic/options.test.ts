import assert from "node:assert/strict";
import { test } from "node:test";
import { retryDelay } from "./options.ts";

test("retries back off exponentially from 100 ms to 1 s, as Kafka's Java client does", () => {
  assert.deepEqual([1, 2, 3, 4, 5, 6, 30].map((n) => retryDelay({}, "addPartitionsToTransaction", n)), [100, 200, 400, 800, 1000, 1000, 1000]);
});
