// How the adapter reads the client's errors: the Kafka error codes nested in a response error, which the
// runtime's commit path classifies (a stale generation, a fenced producer, an unstable offset read).
import { test } from "node:test";
import assert from "node:assert/strict";
import { MultipleErrors, ResponseError } from "@platformatic/kafka";
import { protocolErrorIds } from "./errors.ts";

test("the Kafka error codes of a refused TxnOffsetCommit are found inside the client's response error", () => {
  // API key 28 is TxnOffsetCommit; 22 is ILLEGAL_GENERATION.
  const refused = new ResponseError(28, 4, { "/topics/0/partitions/0": [22, null] }, {});
  assert.deepEqual(protocolErrorIds(refused), ["ILLEGAL_GENERATION"]);
  const retriedAway = new MultipleErrors("Listing consumer group offsets failed.", [new ResponseError(9, 9, { "/groups/0/topics/0/partitions/1": [88, null] }, {})]);
  assert.deepEqual(protocolErrorIds(retriedAway), ["UNSTABLE_OFFSET_COMMIT"]);
  assert.deepEqual(protocolErrorIds(new Error("socket closed")), []);
});
