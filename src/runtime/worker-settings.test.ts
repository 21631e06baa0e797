import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { resolveConfig } from "./config.ts";
import { workerCount, workerIndex, workerSettings } from "./worker-settings.ts";

const base = { applicationId: "pay", bootstrapServers: "127.0.0.1:9092", stateDir: "/var/lib/weir" };

test("--workers, else WEIR_WORKERS, else 1; anything but a whole number from 1 to 64 names the setting", () => {
  assert.equal(workerCount(undefined, {}), 1);
  assert.equal(workerCount(undefined, { WEIR_WORKERS: "3" }), 3);
  assert.equal(workerCount("2", { WEIR_WORKERS: "3" }), 2);
  assert.throws(() => workerCount("0", {}), /WEIR_CONFIG_INVALID|--workers: a whole number.*got "0"/);
  assert.throws(() => workerCount(undefined, { WEIR_WORKERS: "two" }), /WEIR_WORKERS: a whole number.*got "two"/);
  assert.throws(() => workerCount("1.5", {}), /--workers/);
  assert.throws(() => workerCount("65", {}), /--workers/);
});

test("a process is a worker only when its supervisor set WEIR_WORKER_INDEX", () => {
  assert.equal(workerIndex({}), undefined);
  assert.equal(workerIndex({ WEIR_WORKER_INDEX: "1" }), 1);
  assert.throws(() => workerIndex({ WEIR_WORKER_INDEX: "x" }), /WEIR_WORKER_INDEX/);
});

test("worker i: its own state dir, a picked HTTP port, and a client id of its own", () => {
  const config = resolveConfig(base, { httpPort: 8080, clientId: "pay-a" });
  const { config: worker, advertisedHost } = workerSettings(config, 1);
  assert.equal(worker.stateDir, join("/var/lib/weir", "worker-1"));
  assert.equal(worker.httpPort, 0);
  assert.equal(worker.clientId, "pay-a-1");
  assert.equal(worker.groupInstanceId, undefined);
  assert.equal(worker.applicationServer, undefined);
  assert.equal(advertisedHost, undefined);
  // Everything else is the service's.
  assert.equal(worker.applicationId, "pay");
  assert.equal(worker.commitIntervalMs, config.commitIntervalMs);
});

test("static membership: groupInstanceId suffixed -<i>; a configured applicationServer keeps its host for the worker's own port", () => {
  const config = resolveConfig(base, { groupInstanceId: "pay-host-a", applicationServer: "pay-a.example:8080" });
  const zero = workerSettings(config, 0);
  const one = workerSettings(config, 1);
  assert.equal(zero.config.groupInstanceId, "pay-host-a-0");
  assert.equal(one.config.groupInstanceId, "pay-host-a-1");
  assert.equal(one.advertisedHost, "pay-a.example");
  assert.equal(workerSettings(resolveConfig(base, { applicationServer: "[::1]:8080" }), 0).advertisedHost, "[::1]");
});
