import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer, type Server } from "node:net";
import pino from "pino";
import { BrokerUnreachableError } from "../kafka/reachability.ts";
import { waitForBroker } from "./broker-wait.ts";

/** A loopback port nothing listens on right now. */
async function closedPort(): Promise<number> {
  const server = createServer();
  const port = await new Promise<number>((resolve) => server.listen(0, "127.0.0.1", () => resolve((server.address() as { port: number }).port)));
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function listen(port: number): Promise<Server> {
  const server = createServer((socket) => socket.destroy());
  return new Promise((resolve, reject) => server.once("error", reject).listen(port, "127.0.0.1", () => resolve(server)));
}

function recordingLogger(): { logger: pino.Logger; messages: string[] } {
  const messages: string[] = [];
  const logger = pino({ level: "warn" }, { write: (line: string) => void messages.push((JSON.parse(line) as { msg: string }).msg) });
  return { logger, messages };
}

test("an unreachable broker is retried with growing delays, each retry logged, and fails at startupTimeoutMs naming the brokers", async () => {
  const port = await closedPort();
  const { logger, messages } = recordingLogger();
  const reasons: (string | undefined)[] = [];
  const started = Date.now();
  await assert.rejects(
    waitForBroker({ brokers: [`127.0.0.1:${port}`], timeoutMs: 1000, connectionTimeoutMs: 500, signal: new AbortController().signal, logger, onWaiting: (r) => reasons.push(r), firstDelayMs: 100 }),
    (err: unknown) => {
      assert.ok(err instanceof BrokerUnreachableError);
      assert.equal(err.code, "WEIR_BROKER_UNREACHABLE");
      assert.match(err.message, new RegExp(`no Kafka broker at 127\\.0\\.0\\.1:${port} \\(.*ECONNREFUSED\\), retried with backoff for startupTimeoutMs \\(1000 ms\\)`));
      return true;
    },
  );
  assert.ok(Date.now() - started >= 950, "it kept retrying until the timeout");
  // 100 + 200 + 400 ms, then the rest of the second (the last delay is cut at the deadline).
  assert.deepEqual(messages.slice(0, 3), ["broker unreachable, retrying in 100 ms", "broker unreachable, retrying in 200 ms", "broker unreachable, retrying in 400 ms"]);
  assert.match(reasons[0] ?? "", /^waiting for the Kafka broker at 127\.0\.0\.1:\d+ \(.*ECONNREFUSED\): retrying until startupTimeoutMs \(1000 ms\)$/);
  assert.equal(reasons.at(-1), undefined, "the wait reason is cleared when the wait ends");
});

test("a broker that comes up while start-up waits ends the wait", async () => {
  const port = await closedPort();
  const { logger } = recordingLogger();
  let server: Server | undefined;
  const wait = waitForBroker({
    brokers: [`127.0.0.1:${port}`],
    timeoutMs: 10_000,
    connectionTimeoutMs: 500,
    signal: new AbortController().signal,
    logger,
    onWaiting: (reason) => {
      if (reason !== undefined && !server) void listen(port).then((s) => (server = s));
    },
    firstDelayMs: 50,
  });
  try {
    await wait;
  } finally {
    server?.close();
  }
  assert.ok(server, "the broker came up during the wait");
});

test("aborting the wait (the app is stopping) resolves it at once, without an error", async () => {
  const port = await closedPort();
  const { logger } = recordingLogger();
  const stop = new AbortController();
  const started = Date.now();
  const wait = waitForBroker({ brokers: [`127.0.0.1:${port}`], timeoutMs: 60_000, connectionTimeoutMs: 500, signal: stop.signal, logger, onWaiting: () => undefined, firstDelayMs: 5_000 });
  setTimeout(() => stop.abort(), 100);
  await wait;
  assert.ok(Date.now() - started < 2_000);
});
