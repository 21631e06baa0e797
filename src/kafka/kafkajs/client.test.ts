import { test } from "node:test";
import assert from "node:assert/strict";
import { logLevel } from "kafkajs";
import { isRoutineRetry, logLevelOf, restartedCrashLevel } from "./client.ts";

test("a retried CONCURRENT_TRANSACTIONS response is logged at debug; other error responses stay errors", () => {
  const concurrent = "The producer attempted to update a transaction while another concurrent operation on the same transaction was ongoing";
  assert.equal(logLevelOf(logLevel.ERROR, "Response AddPartitionsToTxn(key: 24, version: 1)", concurrent), "debug");
  assert.equal(logLevelOf(logLevel.ERROR, "Response Produce(key: 0, version: 7)", "The request included a message larger than the max message size the server will accept"), "error");
  assert.equal(logLevelOf(logLevel.WARN, "something", undefined), "warn");
});

test("kafkajs's warning about a transactional producer's retry limit is logged at debug", () => {
  assert.equal(logLevelOf(logLevel.WARN, "Limiting retries for the idempotent producer may invalidate EoS guarantees", undefined), "debug");
});

test("error responses kafkajs retries as routine (rebalance, coordinator or leader moving) are logged at debug", () => {
  assert.equal(logLevelOf(logLevel.ERROR, "Response Heartbeat(key: 12, version: 3)", "The group is rebalancing, so a rejoin is needed"), "debug");
  assert.equal(logLevelOf(logLevel.ERROR, "Response OffsetCommit(key: 8, version: 5)", "This is not the correct coordinator for this group"), "debug");
  assert.equal(logLevelOf(logLevel.ERROR, "Response JoinGroup(key: 11, version: 5)", "The coordinator is loading and hence can't process requests for this group"), "debug");
  assert.equal(logLevelOf(logLevel.ERROR, "Response Produce(key: 0, version: 7)", "This server is not the leader for that topic-partition"), "debug");
  assert.equal(logLevelOf(logLevel.ERROR, "Response InitProducerId(key: 22, version: 1)", "Not authorized to access transactional id"), "error");
});

test("kafkajs's crash and restart lines are left to the adapter's own report; an unreachable broker is a warning", () => {
  assert.equal(logLevelOf(logLevel.ERROR, "Crash: KafkaJSNumberOfRetriesExceeded: Connection error: connect ECONNREFUSED 127.0.0.1:9092", undefined), "debug");
  assert.equal(logLevelOf(logLevel.ERROR, "Restarting the consumer in 300ms", undefined), "debug");
  assert.equal(logLevelOf(logLevel.ERROR, "Connection error: connect ECONNREFUSED 127.0.0.1:9092", undefined), "warn");
  assert.equal(logLevelOf(logLevel.ERROR, "Failed to connect to seed broker, trying another broker from the list: Connection error", undefined), "warn");
  assert.equal(logLevelOf(logLevel.WARN, "The group is rebalancing, re-joining", undefined), "info");
  assert.equal(logLevelOf(logLevel.ERROR, "Error when calling eachBatch", undefined), "error");
});

test("a consumer crash kafkajs restarts is info when its cause is routine, else a warning", () => {
  const loading = Object.assign(new Error("The coordinator is loading and hence can't process requests for this group"), { type: "GROUP_LOAD_IN_PROGRESS" });
  assert.equal(isRoutineRetry(new Error("wrapped", { cause: loading })), true);
  assert.equal(restartedCrashLevel(loading), "info");
  assert.equal(restartedCrashLevel(new Error("Connection error: connect ECONNREFUSED 127.0.0.1:9092")), "warn");
});
