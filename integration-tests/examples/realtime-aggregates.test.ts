// Realtime aggregates through the examples' harness: seeded orders through `weir run` on the broker give the
// same per-product and per-region windows and top products per minute as the TopologyTestDriver.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { buildTopology, type TopProducts } from "../../topologies/realtime-aggregates/app.ts";
import { baseTimeEndingNow, events } from "../../topologies/realtime-aggregates/generate.ts";
import { deleteTopics } from "../../src/kafka/tools.ts";
import { connection, killAll } from "../helpers/cluster.ts";
import { expectBrokerMatchesDriver } from "../helpers/example.ts";

const created: string[] = [];
after(async () => {
  await killAll();
  await deleteTopics(connection(), created);
});

test("realtime-aggregates: weir run on the broker writes what the TopologyTestDriver writes", { timeout: 300_000 }, async () => {
  const count = 1500;
  const seed = 5;
  const orders = events(count, seed, baseTimeEndingNow(count, seed));
  const { driver } = await expectBrokerMatchesDriver(
    {
      example: "realtime-aggregates",
      topics: {
        orders: { env: "REALTIME_AGGREGATES_ORDERS_TOPIC" },
        productRevenue1m: { env: "REALTIME_AGGREGATES_PRODUCT_1M_TOPIC" },
        productRevenue5m: { env: "REALTIME_AGGREGATES_PRODUCT_5M_TOPIC" },
        regionRevenue1m: { env: "REALTIME_AGGREGATES_REGION_1M_TOPIC" },
        regionRevenue5m: { env: "REALTIME_AGGREGATES_REGION_5M_TOPIC" },
        topProducts1m: { env: "REALTIME_AGGREGATES_TOP_PRODUCTS_TOPIC" },
      },
      inputs: [{ topic: "orders", records: orders.map((o) => ({ key: o.key, value: JSON.stringify(o.value), timestamp: o.timestamp })) }],
      outputs: ["productRevenue1m", "productRevenue5m", "regionRevenue1m", "regionRevenue5m", "topProducts1m"],
      topology: (t) =>
        buildTopology({
          orders: t.orders!,
          productRevenue1m: t.productRevenue1m!,
          productRevenue5m: t.productRevenue5m!,
          regionRevenue1m: t.regionRevenue1m!,
          regionRevenue5m: t.regionRevenue5m!,
          topProducts1m: t.topProducts1m!,
        }),
    },
    created,
  );
  // Every minute of the input has a ranking except the last few, which never close.
  const rankings = driver.get("topProducts1m")!.map((r) => JSON.parse(r.value!) as TopProducts);
  assert.ok(rankings.length > 60, `rankings: ${rankings.length}`);
  assert.ok(rankings.every((r) => r.top.length >= 1 && r.top.length <= 3));
  assert.ok(driver.get("productRevenue5m")!.length > driver.get("productRevenue1m")!.length);
});
