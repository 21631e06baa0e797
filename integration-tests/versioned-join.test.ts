// Issue 15's versioned tables through `weir run` on the real broker: a versioned table's forwarded updates and
// a grace-period stream–table join as of each order's time; the committed output must equal the
// TopologyTestDriver's, record by record per key.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { deleteTopics } from "../src/kafka/tools.ts";
import { buildVersionedJoinTopology, topicEnv } from "./apps/versioned-join-topology.ts";
import { connection, eventually, freePort, killAll } from "./helpers/cluster.ts";
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
  // The version of pen's price valid at `asOf`, as the history should hold it (every price is within the retention).
  const penAsOf = (asOf: number) =>
    prices.filter((p) => p.key === "pen" && p.timestamp <= asOf).reduce<(typeof prices)[number] | undefined>((best, p) => (best && best.timestamp > p.timestamp ? best : p), undefined)!;
  const asOf = start + 100_500;
  const port = await freePort();
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
      env: { WEIR_HTTP_PORT: String(port) },
      whileRunning: async () => {
        // The committed history through the HTTP endpoint: the version valid at a time, and the newest.
        const url = `http://127.0.0.1:${port}/stores/prices/keys/pen`;
        let answer: { status: number; body: { value?: string; timestamp?: number } } = { status: 0, body: {} };
        await eventually("the prices store to answer", 30_000, async () => {
          const response = await fetch(`${url}?asOf=${asOf}`);
          answer = { status: response.status, body: (await response.json()) as typeof answer.body };
          return answer.status === 200;
        });
        const expected = penAsOf(asOf);
        assert.deepEqual([answer.body.value, answer.body.timestamp], [expected.value, expected.timestamp]);
        const newest = penAsOf(Number.MAX_SAFE_INTEGER);
        const latest = (await (await fetch(url)).json()) as { value?: string; timestamp?: number };
        assert.deepEqual([latest.value, latest.timestamp], [newest.value, newest.timestamp]);
      },
    },
    created,
  );
  const updates = driver.get("updates")!;
  assert.equal(updates.length, prices.length, "toStream forwards every price, the out-of-order ones too (Kafka Streams' KIP-914)");
  const priced = driver.get("priced")!;
  assert.ok(priced.length > 150, `orders more than the grace before the last one are joined (${priced.length})`);
  assert.ok(priced.every((r) => !r.value!.endsWith("?")), "every order finds the price valid at its time");
});
