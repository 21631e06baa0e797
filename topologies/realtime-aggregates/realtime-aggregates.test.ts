// The realtime-aggregates topology on the TopologyTestDriver, with outputs worked out by hand. Windows have
// 10 s of grace: a window [s, e) is final once its task's stream time reaches e + 10 s, and records later
// than that are dropped from it. The ranking waits 2 more minutes: a minute's top products come out once
// the products' final minute totals downstream (each carrying its product's last order in the minute)
// reach the minute's end + 2 min.
import assert from "node:assert/strict";
import { afterEach, test } from "node:test";
import { serdes } from "weir-streams";
import { TopologyTestDriver } from "weir-streams/testing";
import { buildTopology, topics, type Order, type TopProducts, type WindowTotals } from "./app.ts";
import { baseTimeEndingNow, events } from "./generate.ts";

/** Epoch ms of a time on 2025-01-06 (UTC), "hh:mm:ss". */
const at = (time: string) => Date.parse(`2025-01-06T${time}Z`);
const iso = (time: string) => `2025-01-06T${time}.000Z`;

const prices: Record<string, number> = { "espresso-machine": 249.0, grinder: 89.5, kettle: 39.99, mug: 12.0, "beans-1kg": 24.9, filters: 4.8 };

let driver: TopologyTestDriver;
afterEach(() => driver.close());

interface Output<V> {
  key: string | null;
  value: V | null;
  timestamp: number;
}

/** A fresh driver; each reader returns what was written to its topic since it was last read. */
function start() {
  driver = new TopologyTestDriver(buildTopology(), { applicationId: "realtime-aggregates" });
  const input = driver.createInputTopic(topics.orders, serdes.string(), serdes.json<Order>());
  const reader = <V>(topic: string) => {
    const output = driver.createOutputTopic(topic, serdes.string(), serdes.json<V>());
    return (): Output<V>[] => output.readRecordsToList().map(({ key, value, timestamp }) => ({ key, value, timestamp }));
  };
  return {
    order: (orderId: string, time: string, product: string, region: string, quantity: number) =>
      input.pipeInput(orderId, { orderId, product, region, quantity, unitPrice: prices[product]! }, at(time)),
    product1m: reader<WindowTotals>(topics.productRevenue1m),
    product5m: reader<WindowTotals>(topics.productRevenue5m),
    region1m: reader<WindowTotals>(topics.regionRevenue1m),
    region5m: reader<WindowTotals>(topics.regionRevenue5m),
    top: reader<TopProducts>(topics.topProducts1m),
  };
}

/** A window's expected record: key, window "hh:mm:ss"–"hh:mm:ss", totals, and its last order's time. */
function totals(key: string, from: string, to: string, orders: number, quantity: number, revenue: number, last: string): Output<WindowTotals> {
  return { key, value: { windowStart: iso(from), windowEnd: iso(to), orders, quantity, revenue }, timestamp: at(last) };
}

test("revenue per product and per region per tumbling minute, once the minute closes; late orders within grace count, past it are dropped", () => {
  const { order, product1m, region1m } = start();
  order("o1", "12:00:10", "grinder", "eu-west", 1); // 89.50
  order("o2", "12:00:20", "mug", "us-east", 4); // 48.00
  order("o3", "12:00:45", "grinder", "us-east", 2); // 179.00
  order("o4", "12:01:05", "kettle", "eu-west", 1); // 39.99
  // 10 s late: minute 12:00 takes orders until stream time 12:01:10.
  order("o5", "12:00:55", "mug", "eu-west", 2); // 24.00
  assert.deepEqual(product1m(), []);
  assert.deepEqual(region1m(), []);
  order("o6", "12:01:10", "mug", "apac", 1); // 12.00
  assert.deepEqual(product1m(), [
    totals("grinder", "12:00:00", "12:01:00", 2, 3, 268.5, "12:00:45"),
    totals("mug", "12:00:00", "12:01:00", 2, 6, 72, "12:00:55"),
  ]);
  assert.deepEqual(region1m(), [
    totals("eu-west", "12:00:00", "12:01:00", 2, 3, 113.5, "12:00:55"),
    totals("us-east", "12:00:00", "12:01:00", 2, 6, 227, "12:00:45"),
  ]);
  // 40 s late, after minute 12:00 closed: dropped (the espresso machine never shows in a minute).
  order("o7", "12:00:30", "espresso-machine", "eu-west", 1);
  order("o8", "12:02:10", "kettle", "us-east", 2);
  assert.deepEqual(product1m(), [
    totals("kettle", "12:01:00", "12:02:00", 1, 1, 39.99, "12:01:05"),
    totals("mug", "12:01:00", "12:02:00", 1, 1, 12, "12:01:10"),
  ]);
  assert.deepEqual(region1m(), [
    totals("apac", "12:01:00", "12:02:00", 1, 1, 12, "12:01:10"),
    totals("eu-west", "12:01:00", "12:02:00", 1, 1, 39.99, "12:01:05"),
  ]);
});

test("hopping 5-minute windows every minute: each final once, a late order updates only the windows still open", () => {
  const { order, product5m, region5m } = start();
  // In [11:56, 12:01) … [12:00, 12:05).
  order("o1", "12:00:10", "grinder", "eu-west", 1);
  // In [11:59, 12:04) … [12:03, 12:08); stream time 12:03:30 closes the windows ending 12:01, 12:02, 12:03.
  order("o2", "12:03:30", "grinder", "eu-west", 2);
  assert.deepEqual(product5m(), [
    totals("grinder", "11:56:00", "12:01:00", 1, 1, 89.5, "12:00:10"),
    totals("grinder", "11:57:00", "12:02:00", 1, 1, 89.5, "12:00:10"),
    totals("grinder", "11:58:00", "12:03:00", 1, 1, 89.5, "12:00:10"),
  ]);
  // 3 min 25 s late: too late for [11:56, 12:01) … [11:58, 12:03), in time for [11:59, 12:04) and [12:00, 12:05).
  order("o3", "12:00:05", "grinder", "eu-west", 1);
  assert.deepEqual(product5m(), []);
  // Stream time 12:10 closes every window ending by 12:09:50.
  order("o4", "12:10:00", "grinder", "eu-west", 1);
  assert.deepEqual(product5m(), [
    totals("grinder", "11:59:00", "12:04:00", 3, 4, 358, "12:03:30"),
    totals("grinder", "12:00:00", "12:05:00", 3, 4, 358, "12:03:30"),
    totals("grinder", "12:01:00", "12:06:00", 1, 2, 179, "12:03:30"),
    totals("grinder", "12:02:00", "12:07:00", 1, 2, 179, "12:03:30"),
    totals("grinder", "12:03:00", "12:08:00", 1, 2, 179, "12:03:30"),
  ]);
  // The same orders, per region.
  assert.deepEqual(region5m().map((r) => [r.key, r.value!.windowStart, r.value!.revenue]), [
    ["eu-west", iso("11:56:00"), 89.5],
    ["eu-west", iso("11:57:00"), 89.5],
    ["eu-west", iso("11:58:00"), 89.5],
    ["eu-west", iso("11:59:00"), 358],
    ["eu-west", iso("12:00:00"), 358],
    ["eu-west", iso("12:01:00"), 179],
    ["eu-west", iso("12:02:00"), 179],
    ["eu-west", iso("12:03:00"), 179],
  ]);
});

test("top 3 products by revenue per minute, once per minute: ties by name, fewer than 3 products when fewer sold", () => {
  const { order, top } = start();
  order("o1", "12:00:05", "espresso-machine", "eu-west", 1); // 249.00
  order("o2", "12:00:15", "grinder", "eu-west", 2); // 179.00
  order("o3", "12:00:20", "kettle", "eu-west", 3); // 119.97
  order("o4", "12:00:30", "mug", "eu-west", 10); // 120.00
  order("o5", "12:00:40", "beans-1kg", "eu-west", 5); // 124.50
  order("o6", "12:00:50", "grinder", "eu-west", 1); // grinder 268.50 in all
  // Closes minute 12:00 for each product; the ranking's stream time becomes 12:00:50.
  order("o7", "12:01:20", "mug", "eu-west", 2); // 24.00
  order("o8", "12:01:40", "filters", "eu-west", 5); // 24.00
  // Closes minute 12:01: the ranking's stream time becomes 12:01:40.
  order("o9", "12:05:00", "mug", "eu-west", 1);
  assert.deepEqual(top(), []);
  // Closes minute 12:05 (mug, 12:05:00): the ranking's stream time passes 12:03 and 12:04, closing 12:00 and 12:01.
  order("o10", "12:07:00", "kettle", "eu-west", 1);
  assert.deepEqual(top(), [
    {
      key: iso("12:00:00"),
      value: {
        minute: iso("12:00:00"),
        top: [
          { product: "grinder", revenue: 268.5, orders: 2 },
          { product: "espresso-machine", revenue: 249, orders: 1 },
          { product: "beans-1kg", revenue: 124.5, orders: 1 },
        ],
      },
      timestamp: at("12:00:50"),
    },
    {
      key: iso("12:01:00"),
      value: {
        minute: iso("12:01:00"),
        top: [
          { product: "filters", revenue: 24, orders: 1 },
          { product: "mug", revenue: 24, orders: 1 },
        ],
      },
      timestamp: at("12:01:40"),
    },
  ]);
});

test("the generator is seeded and ends a minute before now", () => {
  const a = events(500, 7, 1_000_000);
  assert.deepEqual(events(500, 7, 1_000_000), a);
  assert.notDeepEqual(events(500, 8, 1_000_000), a);
  assert.ok(a.every((e) => e.timestamp >= 1_000_000 && e.key === e.value.orderId && e.value.quantity >= 1));
  const now = 1_800_000_000_000;
  const base = baseTimeEndingNow(500, 7, now);
  assert.equal(Math.max(...events(500, 7, base).map((e) => e.timestamp)), now - 60_000);
});
