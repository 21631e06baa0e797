import { test } from "node:test";
import assert from "node:assert/strict";
import { environmentOverrides, resolveConfig } from "./config.ts";

const base = { applicationId: "orders", bootstrapServers: "127.0.0.1:9092" };

test("defaults fill what the user left out", () => {
  const config = resolveConfig(base);
  assert.equal(config.processingGuarantee, "exactly_once");
  assert.equal(config.commitIntervalMs, 100);
  assert.deepEqual(config.brokers, ["127.0.0.1:9092"]);
  assert.match(config.clientId, /^orders-/);
});

test("at-least-once commits every 30 s unless told otherwise, as in Kafka Streams", () => {
  assert.equal(resolveConfig({ ...base, processingGuarantee: "at_least_once" }).commitIntervalMs, 30000);
});

test("an invalid value fails naming the setting and the value", () => {
  assert.throws(() => resolveConfig({ ...base, commitIntervalMs: 0 }), /WEIR_CONFIG_INVALID: commitIntervalMs: .*>=1.*got 0/);
});

test("an unknown setting fails naming it and listing the known ones", () => {
  assert.throws(() => resolveConfig({ ...base, comitIntervalMs: 100 }), /unknown setting comitIntervalMs \(known: applicationId, bootstrapServers/);
});

test("a missing required setting says it is missing", () => {
  assert.throws(() => resolveConfig({ bootstrapServers: "x:1" }), /applicationId: .*it is missing/);
});

test("an applicationId that cannot name a topic is refused", () => {
  assert.throws(() => resolveConfig({ ...base, applicationId: "my app" }), /applicationId: only letters/);
});

test("WEIR_* variables override settings, numbers read as numbers", () => {
  const overrides = environmentOverrides({ WEIR_COMMIT_INTERVAL_MS: "250", WEIR_APPLICATION_ID: "other", HOME: "/root" });
  assert.deepEqual(overrides, { commitIntervalMs: 250, applicationId: "other" });
  assert.equal(resolveConfig(base, overrides).commitIntervalMs, 250);
});

test("a WEIR_* number that is not one fails validation naming the setting", () => {
  assert.throws(() => resolveConfig(base, environmentOverrides({ WEIR_COMMIT_INTERVAL_MS: "soon" })), /commitIntervalMs: .*got "soon"/);
});

test("a comma-separated bootstrapServers becomes a broker list", () => {
  assert.deepEqual(resolveConfig({ ...base, bootstrapServers: "a:1, b:2" }).brokers, ["a:1", "b:2"]);
});

test("error handlers default to fail; an unknown handler fails naming the setting and the allowed ones", () => {
  const config = resolveConfig(base);
  assert.equal(config.deserializationErrorHandler, "fail");
  assert.equal(config.processingErrorHandler, "fail");
  assert.equal(config.productionErrorHandler, "fail");
  assert.throws(() => resolveConfig({ ...base, processingErrorHandler: "skip" }), /processingErrorHandler: .*"fail"\|"logAndContinue"\|"deadLetter".*got "skip"/);
});

test("the dead-letter topic is <applicationId>-dlq unless configured, and only the default one is Weir's own", () => {
  assert.deepEqual(
    [resolveConfig(base).deadLetterTopic, resolveConfig(base).deadLetterTopicIsInternal],
    ["orders-dlq", true],
  );
  const configured = resolveConfig({ ...base, deadLetterTopic: "poison" });
  assert.deepEqual([configured.deadLetterTopic, configured.deadLetterTopicIsInternal], ["poison", false]);
  assert.equal(environmentOverrides({ WEIR_DESERIALIZATION_ERROR_HANDLER: "deadLetter" }).deserializationErrorHandler, "deadLetter");
});

test("applicationServer is host:port, from WEIR_APPLICATION_SERVER too; anything else is refused naming it", () => {
  assert.equal(resolveConfig(base, environmentOverrides({ WEIR_APPLICATION_SERVER: "weir-1.internal:8080" })).applicationServer, "weir-1.internal:8080");
  assert.equal(resolveConfig({ ...base, applicationServer: "[::1]:9000" }).applicationServer, "[::1]:9000");
  assert.equal(resolveConfig(base).applicationServer, undefined);
  assert.throws(() => resolveConfig({ ...base, applicationServer: "http://x:1" }), /applicationServer: host:port.*got "http:\/\/x:1"/);
});

test("statePageCacheBytes defaults to 8 MiB and is read from WEIR_STATE_PAGE_CACHE_BYTES", () => {
  assert.equal(resolveConfig(base).statePageCacheBytes, 8 * 1024 * 1024);
  assert.equal(resolveConfig(base, environmentOverrides({ WEIR_STATE_PAGE_CACHE_BYTES: "1048576" })).statePageCacheBytes, 1048576);
});

test("statestoreCacheMaxBytes defaults to 0 (no record cache), is read from WEIR_STATESTORE_CACHE_MAX_BYTES, and refuses a negative", () => {
  assert.equal(resolveConfig(base).statestoreCacheMaxBytes, 0);
  assert.equal(resolveConfig(base, environmentOverrides({ WEIR_STATESTORE_CACHE_MAX_BYTES: "10485760" })).statestoreCacheMaxBytes, 10485760);
  assert.throws(() => resolveConfig(base, { statestoreCacheMaxBytes: -1 }), /statestoreCacheMaxBytes: .*got -1/);
});

test("numStandbyReplicas defaults to 0, reads WEIR_NUM_STANDBY_REPLICAS, and refuses a negative count naming the setting", () => {
  assert.equal(resolveConfig(base).numStandbyReplicas, 0);
  assert.equal(resolveConfig(base, environmentOverrides({ WEIR_NUM_STANDBY_REPLICAS: "1" })).numStandbyReplicas, 1);
  assert.throws(() => resolveConfig({ ...base, numStandbyReplicas: -1 }), /WEIR_CONFIG_INVALID: numStandbyReplicas: .*got -1/);
});

test("groupInstanceId is unset by default and read from WEIR_GROUP_INSTANCE_ID", () => {
  assert.equal(resolveConfig(base).groupInstanceId, undefined);
  assert.equal(resolveConfig(base, environmentOverrides({ WEIR_GROUP_INSTANCE_ID: "orders-1" })).groupInstanceId, "orders-1");
});

test("a groupInstanceId Kafka would refuse is refused naming it", () => {
  assert.throws(() => resolveConfig({ ...base, groupInstanceId: "orders 1" }), /WEIR_CONFIG_INVALID: groupInstanceId: only letters.*got "orders 1"/);
});

test("groupInstanceId with the kafkajs client is refused naming the setting (kafkajs has no static membership)", () => {
  assert.throws(
    () => resolveConfig({ ...base, groupInstanceId: "orders-1", kafkaClient: "kafkajs" }),
    /WEIR_CONFIG_INVALID: groupInstanceId: static membership needs kafkaClient "platformatic"/,
  );
  assert.equal(resolveConfig({ ...base, groupInstanceId: "orders-1" }).groupInstanceId, "orders-1");
});

test("startupTimeoutMs defaults to 60 s, is read from WEIR_STARTUP_TIMEOUT_MS, and must be positive", () => {
  assert.equal(resolveConfig(base).startupTimeoutMs, 60000);
  assert.equal(resolveConfig(base, environmentOverrides({ WEIR_STARTUP_TIMEOUT_MS: "5000" })).startupTimeoutMs, 5000);
  assert.throws(() => resolveConfig({ ...base, startupTimeoutMs: 0 }), /startupTimeoutMs: .*>=1.*got 0/);
});

test("warm-up settings default to Kafka Streams' (10000, 2, 10 min), read WEIR_* variables, and refuse bad values naming the setting", () => {
  const config = resolveConfig(base);
  assert.equal(config.acceptableRecoveryLag, 10000);
  assert.equal(config.maxWarmupReplicas, 2);
  assert.equal(config.probingRebalanceIntervalMs, 600000);
  const env = environmentOverrides({ WEIR_ACCEPTABLE_RECOVERY_LAG: "100", WEIR_MAX_WARMUP_REPLICAS: "3", WEIR_PROBING_REBALANCE_INTERVAL_MS: "5000" });
  const set = resolveConfig(base, env);
  assert.deepEqual([set.acceptableRecoveryLag, set.maxWarmupReplicas, set.probingRebalanceIntervalMs], [100, 3, 5000]);
  assert.throws(() => resolveConfig(base, { acceptableRecoveryLag: -1 }), /WEIR_CONFIG_INVALID: acceptableRecoveryLag: .*got -1/);
  assert.throws(() => resolveConfig(base, { maxWarmupReplicas: 0 }), /WEIR_CONFIG_INVALID: maxWarmupReplicas: .*got 0/);
  assert.throws(() => resolveConfig(base, environmentOverrides({ WEIR_PROBING_REBALANCE_INTERVAL_MS: "soon" })), /probingRebalanceIntervalMs: .*got "soon"/);
});
