// Issue 15's DSL additions through `weir run` on the real broker: toTable (with a repartition), joins on
// derived tables, onWindowClose on time and sliding windows; the committed output must equal the
// TopologyTestDriver's, record by record, also across a restart that restores every store from its changelog.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { deleteTopics } from "../src/kafka/tools.ts";
import { buildDslAdditionsTopology, topicEnv } from "./apps/dsl-additions-topology.ts";
import { connection, killAll, restoresLogged } from "./helpers/cluster.ts";
import { expectBrokerMatchesDriver } from "./helpers/example.ts";

const created: string[] = [];
after(async () => {
  await killAll();
  await deleteTopics(connection(), created);
});

test("toTable, joins on mapValues/filter tables and onWindowClose counts commit on the broker what the TopologyTestDriver gives, also after a restore from the changelogs", { timeout: 400_000 }, async () => {
  const start = Date.now() - 3_600_000;
  const products = ["pen", "ink", "pad", "cap"];
  const customers = ["ann", "bob", "cy"];
  const event = (i: number) => {
    const product = products[(i * 3) % products.length]!;
    const value = i % 3 === 0 ? `price:${100 + ((i * 37) % 900)}` : i % 3 === 1 ? `stock:${(i * 7) % 4}` : `order:${customers[i % customers.length]}`;
    return { key: product, value, timestamp: start + i * 1_000 };
  };
  const events = Array.from({ length: 400 }, (_, i) => event(i));
  // After the restart: 200 more, whose first records still fall into windows the first run left open.
  const more = Array.from({ length: 200 }, (_, i) => event(400 + i));
  const restored = new Map<string, number>();
  const { driver } = await expectBrokerMatchesDriver(
    {
      example: "dsl-additions",
      module: "integration-tests/apps/dsl-additions.ts",
      topics: Object.fromEntries(Object.entries(topicEnv).map(([name, env]) => [name, { env }])),
      inputs: [{ topic: "events", records: events }],
      outputs: ["priced", "offers", "latest", "closed", "closedSliding"],
      topology: (t) => buildDslAdditionsTopology(t),
      restart: {
        inputs: [{ topic: "events", records: more }],
        whileRunning: async (app) => {
          for (const r of restoresLogged(app)) restored.set(r.store, (restored.get(r.store) ?? 0) + r.restored);
        },
      },
    },
    created,
  );
  const offers = driver.get("offers")!;
  assert.ok(offers.some((r) => r.value?.endsWith("sold out")) && offers.some((r) => r.value?.endsWith("left")), "offers with and without stock");
  assert.equal(driver.get("latest")!.length, Math.floor((600 + 1) / 3), "one latest-order update per order");
  const closed = driver.get("closed")!;
  assert.ok(closed.length >= 4 * 9, `a final count per product and closed minute (${closed.length})`);
  assert.ok(driver.get("closedSliding")!.length > closed.length, "sliding windows: more (overlapping) final counts than minutes");
  // The second run restored the stores of toTable and of both onWindowClose counts (their outputs matched above).
  for (const store of ["prices", "stock", "latest-order", "events-per-minute", "events-sliding"]) {
    assert.ok((restored.get(store) ?? 0) > 0, `store "${store}" restored from its changelog in the second run: ${JSON.stringify(Object.fromEntries(restored))}`);
  }
});
