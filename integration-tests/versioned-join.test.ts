// Issue 15's versioned tables through `weir run` on the real broker: a versioned table's forwarded updates and
// a grace-period stream–table join as of each order's time; the committed output must equal the
// TopologyTestDriver's, record by record per key.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { deleteTopics } from "../src/kafka/tools.ts";
import { buildVersionedJoinTopology, topicEnv } from "./apps/versioned-join-topology.ts";
import { connection, killAll } from "./helpers/cluster.ts";
import { expectBrokerMatchesDriver } from "./helpers/example.ts";

const created: string[] = [];
after(async () => {
  await killAll();
  await deleteTopics(connection(), created);
});

test("a versioned table and a grace-period join as of each order's time commit on the broker what the TopologyTestDriver gives", async () => {
  const start = Date.now() - 3_600_000;
  const products = ["pen", "ink", "pad"];
  // A price every second, each product in turn; every fourth is stamped 4 s early: older than its product's
  // previous price (out of order for the versioned table), 3 s behind the topic, within the join's 10 s grace.
  const prices = Array.from({ length: 200 }, (_, i) => {
    const late = i % 4 === 1 ? 4_000 : 0;
    return { key: products[i % products.length]!, value: String(100 + ((i * 37) % 900)), timestamp: start + i * 1_000 - late };
  });
  const orders = Array.from({ length: 200 }, (_, i) => ({ key: products[(i * 7) % products.length]!, value: `c${i % 11}`, timestamp: start + 2_000 + i * 1_500 }));
  const { driver } = await expectBrokerMatchesDriver(
    {
      example: "versioned-join",
      module: "integration-tests/apps/versioned-join.ts",
      topics: Object.fromEntries(Object.entries(topicEnv).map(([name, env]) => [name, { env }])),
      inputs: [
        { topic: "prices", records: prices },
        { topic: "orders", records: orders },
      ],
      outputs: ["priced", "updates"],
      topology: (t) => buildVersionedJoinTopology(t),
    },
    created,
  );
  const updates = driver.get("updates")!;
  assert.ok(updates.length < prices.length, `out-of-order prices are not forwarded (${updates.length} of ${prices.length})`);
  const priced = driver.get("priced")!;
  assert.ok(priced.length > 150, `orders more than the grace before the last one are joined (${priced.length})`);
  assert.ok(priced.every((r) => !r.value!.endsWith("?")), "every order finds the price valid at its time");
});
