import { test } from "node:test";
import assert from "node:assert/strict";
import { logLevel } from "kafkajs";
import { logLevelOf } from "./client.ts";

test("a retried CONCURRENT_TRANSACTIONS response is logged at debug; other error responses stay errors", () => {
  const concurrent = "The producer attempted to update a transaction while another concurrent operation on the same transaction was ongoing";
  assert.equal(logLevelOf(logLevel.ERROR, "Response AddPartitionsToTxn(key: 24, version: 1)", concurrent), "debug");
  assert.equal(logLevelOf(logLevel.ERROR, "Response Produce(key: 0, version: 7)", "The request included a message larger than the max message size the server will accept"), "error");
  assert.equal(logLevelOf(logLevel.WARN, "something", undefined), "warn");
});

test("kafkajs's warning about a transactional producer's retry limit is logged at debug", () => {
  assert.equal(logLevelOf(logLevel.WARN, "Limiting retries for the idempotent producer may invalidate EoS guarantees", undefined), "debug");
});
