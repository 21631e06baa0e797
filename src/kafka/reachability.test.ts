import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:net";
import { brokerAddress, BrokerUnreachableError, ensureBrokerReachable } from "./reachability.ts";

test("a bootstrap address is host and port; IPv6 in brackets; 9092 when the port is left out", () => {
  assert.deepEqual(brokerAddress("127.0.0.1:19092"), { host: "127.0.0.1", port: 19092 });
  assert.deepEqual(brokerAddress("[::1]:9093"), { host: "::1", port: 9093 });
  assert.deepEqual(brokerAddress("kafka"), { host: "kafka", port: 9092 });
});

test("one listening address is enough; none refuses with every address's reason", async () => {
  const open = createServer((socket) => socket.destroy());
  const openPort = await new Promise<number>((resolve) => open.listen(0, "127.0.0.1", () => resolve((open.address() as { port: number }).port)));
  const closed = createServer();
  const closedPort = await new Promise<number>((resolve) => closed.listen(0, "127.0.0.1", () => resolve((closed.address() as { port: number }).port)));
  await new Promise((resolve) => closed.close(resolve));
  try {
    await ensureBrokerReachable([`127.0.0.1:${closedPort}`, `127.0.0.1:${openPort}`]);
    await assert.rejects(ensureBrokerReachable([`127.0.0.1:${closedPort}`]), (err: unknown) => {
      assert.ok(err instanceof BrokerUnreachableError);
      assert.equal(err.code, "WEIR_BROKER_UNREACHABLE");
      assert.equal(err.message, `no Kafka broker at 127.0.0.1:${closedPort} (127.0.0.1:${closedPort}: ECONNREFUSED)`);
      return true;
    });
  } finally {
    open.close();
  }
});
