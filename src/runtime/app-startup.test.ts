import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:net";
import { StreamsBuilder } from "../topology/streams-builder.ts";
import { serdes } from "../serdes/index.ts";
import { app } from "./app-definition.ts";
import { App } from "./app.ts";

/** A loopback address nothing listens on right now. */
async function deadBroker(): Promise<string> {
  const server = createServer();
  const port = await new Promise<number>((resolve) => server.listen(0, "127.0.0.1", () => resolve((server.address() as { port: number }).port)));
  await new Promise((resolve) => server.close(resolve));
  return `127.0.0.1:${port}`;
}

function anApp(settings: Record<string, unknown>): App {
  const builder = new StreamsBuilder();
  builder.stream("in", { key: serdes.string(), value: serdes.string() }).to("out", { key: serdes.string(), value: serdes.string() });
  return new App(app({ applicationId: "startup", topology: builder.build(), logLevel: "silent", httpEnabled: false }), settings, {});
}

test("a stop while start-up waits for the broker ends start-up at once and stops the app cleanly", async () => {
  const weir = anApp({ bootstrapServers: await deadBroker(), startupTimeoutMs: 60_000 });
  const started = weir.start();
  await new Promise((r) => setTimeout(r, 300));
  const stopAt = Date.now();
  await weir.stop();
  await started;
  assert.ok(Date.now() - stopAt < 2_000, "the broker wait ended at the stop");
  assert.equal(await weir.done, undefined, "a stop is not a failure");
});

test("start-up fails with WEIR_BROKER_UNREACHABLE once startupTimeoutMs has passed", async () => {
  const broker = await deadBroker();
  const weir = anApp({ bootstrapServers: broker, startupTimeoutMs: 400 });
  await assert.rejects(weir.start(), (err: unknown) => {
    assert.equal((err as { code?: string }).code, "WEIR_BROKER_UNREACHABLE");
    assert.match((err as Error).message, new RegExp(`no Kafka broker at ${broker.replaceAll(".", "\\.")} .*startupTimeoutMs \\(400 ms\\)`));
    return true;
  });
  await weir.stop();
});
