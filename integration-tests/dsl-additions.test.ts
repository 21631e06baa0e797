// Issue 15's DSL additions through `weir run` on the real broker: toTable (with a repartition), joins on
// derived tables; the committed output must equal the TopologyTestDriver's, record by record.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { deleteTopics } from "../src/kafka/tools.ts";
import { buildDslAdditionsTopology, topicEnv } from "./apps/dsl-additions-topology.ts";
import { connection, killAll } from "./helpers/cluster.ts";
import { expectBrokerMatchesDriver } from "./helpers/example.ts";

const created: string[] = [];
after(async () => {
  await killAll();
  await deleteTopics(connection(), created);
});

test("toTable, joins on mapValues/filter tables and onWindowClose counts commit on the broker what the TopologyTestDriver gives", async () => {
  const start = Date.now() - 3_600_000;
  const products = ["pen", "ink", "pad", "cap"];
  const customers = ["ann", "bob", "cy"];
  const events = Array.from({ length: 400 }, (_, i) => {
    const product = products[(i * 3) % products.length]!;
    const value = i % 3 === 0 ? `price:${100 + ((i * 37) % 900)}` : i % 3 === 1 ? `stock:${(i * 7) % 4}` : `order:${customers[i % customers.length]}`;
    return { key: product, value, timestamp: start + i * 1_000 };
  });
  const { driver } = await expectBrokerMatchesDriver(
    {
      example: "dsl-additions",
      module: "integration-tests/apps/dsl-additions.ts",
      topics: Object.fromEntries(Object.entries(topicEnv).map(([name, env]) => [name, { env }])),
      inputs: [{ topic: "events", records: events }],
      outputs: ["priced", "offers", "latest", "closed"],
      topology: (t) => buildDslAdditionsTopology(t),
    },
    created,
  );
  const offers = driver.get("offers")!;
  assert.ok(offers.some((r) => r.value?.endsWith("sold out")) && offers.some((r) => r.value?.endsWith("left")), "offers with and without stock");
  assert.equal(driver.get("latest")!.length, Math.floor((400 + 1) / 3), "one latest-order update per order");
  const closed = driver.get("closed")!;
  assert.ok(closed.length >= 4 * 5, `a final count per product and closed minute (${closed.length})`);
});
