import { test } from "node:test";
import assert from "node:assert/strict";
import { responseSerde, valueHash } from "../processor/foreign-key-wire.ts";
import { serdes } from "../serdes/serde.ts";
import { testTask } from "../processor/test-task.ts";
import { TopologyTestDriver } from "../testing/topology-test-driver.ts";
import { repartitionPartitionCounts } from "./repartition.ts";
import { StreamsBuilder } from "./streams-builder.ts";

interface Order {
  readonly product: string | null;
  readonly qty: number;
}
const order = serdes.json<Order>();
const strings = { key: serdes.string(), value: serdes.string() };

function ordersAndProducts(kind: "join" | "leftJoin") {
  const b = new StreamsBuilder();
  const orders = b.table("orders", { key: serdes.string(), value: order, store: "orders" });
  const products = b.table("products", { ...strings, store: "products" });
  const joined =
    kind === "join"
      ? orders.join(products, (o) => o.product, (o, p) => `${o.qty}x ${p}`, { name: "order-product" })
      : orders.leftJoin(products, (o) => o.product, (o, p) => `${o.qty}x ${p ?? "?"}`, { name: "order-product" });
  joined.toStream().to("out", strings);
  const driver = new TopologyTestDriver(b.build());
  const out = driver.createOutputTopic("out", serdes.string(), serdes.string());
  return {
    driver,
    orders: driver.createInputTopic("orders", serdes.string(), order),
    products: driver.createInputTopic("products", serdes.string(), serdes.string()),
    read: () => out.readKeyValuesToList().map(({ key, value }) => [key, value]),
  };
}

test("a foreign-key inner join follows updates on both sides, foreign-key changes and deletes", () => {
  const { driver, orders, products, read } = ordersAndProducts("join");
  try {
    products.pipeInput("p1", "pen"); // no order names p1 yet: nothing
    orders.pipeInput("o1", { product: "p1", qty: 2 });
    orders.pipeInput("o2", { product: "p2", qty: 1 }); // p2 does not exist: no result
    assert.deepEqual(read(), [["o1", "2x pen"]]);
    products.pipeInput("p2", "ink"); // answers its subscriber o2
    products.pipeInput("p1", "pencil");
    assert.deepEqual(read(), [["o2", "1x ink"], ["o1", "2x pencil"]]);
    orders.pipeInput("o1", { product: "p2", qty: 3 }); // o1 moves from p1 to p2
    products.pipeInput("p1", null); // p1 has no subscriber any more: nothing
    assert.deepEqual(read(), [["o1", "3x ink"]]);
    products.pipeInput("p2", null); // both subscribers lose their result
    assert.deepEqual(read(), [["o1", null], ["o2", null]]);
    orders.pipeInput("o2", null); // a delete always sends its tombstone (as Kafka Streams)
    orders.pipeInput("o3", { product: "p9", qty: 1 });
    assert.deepEqual(read(), [["o2", null]]);
    products.pipeInput("p9", "cap");
    assert.deepEqual(read(), [["o3", "1x cap"]]);
  } finally {
    driver.close();
  }
});

test("an inner join whose row moves to a foreign key without a row deletes the row's result", () => {
  const { driver, orders, products, read } = ordersAndProducts("join");
  try {
    products.pipeInput("p1", "pen");
    orders.pipeInput("o1", { product: "p1", qty: 1 });
    orders.pipeInput("o1", { product: "p7", qty: 1 });
    orders.pipeInput("o1", { product: null, qty: 1 }); // no foreign key: the (already deleted) result stays deleted
    assert.deepEqual(read(), [["o1", "1x pen"], ["o1", null], ["o1", null]]);
  } finally {
    driver.close();
  }
});

test("a foreign-key left join gives every order a row, joined with null while its product (or its foreign key) is absent", () => {
  const { driver, orders, products, read } = ordersAndProducts("leftJoin");
  try {
    orders.pipeInput("o1", { product: "p1", qty: 1 });
    products.pipeInput("p1", "pen");
    orders.pipeInput("o1", { product: null, qty: 1 });
    products.pipeInput("p1", "pencil"); // o1 unsubscribed from p1: nothing
    orders.pipeInput("o1", null);
    orders.pipeInput("o9", null); // never existed: nothing
    assert.deepEqual(read(), [["o1", "1x ?"], ["o1", "1x pen"], ["o1", "1x ?"], ["o1", null]]);
  } finally {
    driver.close();
  }
});

test("an answer for an older value of the row (another hash) is dropped; one for its current value is joined", () => {
  // The left table's task alone, fed the response topic by hand: the driver would answer at once, never late.
  const t = testTask((b) => {
    const orders = b.table("orders", { key: serdes.string(), value: order, store: "orders" });
    const products = b.table("products", { ...strings, store: "products" });
    orders.join(products, (o) => o.product, (o, p) => `${o.qty}x ${p}`, { name: "fk" }).toStream().to("out", strings);
  });
  const respond = (hash: Buffer, value: string) =>
    t.task.process("fk-response-repartition", { offset: String(next++), key: Buffer.from("o1"), value: responseSerde(serdes.string()).serialize({ hash, value }, "t"), timestamp: "3" });
  let next = 1000;
  t.pipe("o1", JSON.stringify({ product: "p1", qty: 2 }), 1);
  respond(valueHash(order.serialize({ product: "p1", qty: 1 }, "t")), "stale pen");
  respond(valueHash(order.serialize({ product: "p1", qty: 2 }, "t")), "fresh pen");
  assert.deepEqual(t.outputs.filter(([topic]) => topic === "out").map(([, key, value]) => [key, value]), [["o1", "2x fresh pen"]]);
});

test("the foreign-key join materializes its result on request and describe() shows its nodes, stores and topics", () => {
  const b = new StreamsBuilder();
  const orders = b.table("orders", { key: serdes.string(), value: order, store: "orders" });
  const products = b.table("products", { ...strings, store: "products" });
  orders.join(products, (o) => o.product, (o, p) => `${o.qty}x ${p}`, { name: "fk", store: "order-lines", value: serdes.string() });
  const topology = b.build();
  const text = topology.forApplication("app").describe();
  for (const line of [
    /Processor: fk-subscription-send \(stores: \[fk-foreign-keys\]\)/,
    /Sink: fk-subscription-repartition-sink \(topic: app-fk-subscription-repartition\)/,
    /Processor: fk-subscription-receive \(stores: \[fk-subscriptions, products\]\)/,
    /Processor: fk-foreign-update \(stores: \[fk-subscriptions\]\)/,
    /Sink: fk-response-repartition-sink \(topic: app-fk-response-repartition\)/,
    /Processor: fk-response-join \(stores: \[orders\]\)/,
    /Processor: fk-result \(stores: \[order-lines\]\)/,
  ]) {
    assert.match(text, line);
  }
  const driver = new TopologyTestDriver(topology);
  try {
    driver.createInputTopic("products", serdes.string(), serdes.string()).pipeInput("p1", "pen");
    driver.createInputTopic("orders", serdes.string(), order).pipeInput("o1", { product: "p1", qty: 4 });
    assert.equal(driver.getKeyValueStore<string, string>("order-lines").get("o1"), "4x pen");
  } finally {
    driver.close();
  }
});

test("a foreign-key join of a derived table (filter) reads its rows through the value getter, with no store of its own", () => {
  const b = new StreamsBuilder();
  const orders = b.table("orders", { key: serdes.string(), value: order, store: "orders" }).filter((_, o) => o.qty > 1);
  const products = b.table("products", { ...strings, store: "products" });
  orders.join(products, (o) => o.product, (o, p) => `${o.qty}x ${p}`, { name: "fk" }).toStream().to("out", strings);
  const driver = new TopologyTestDriver(b.build());
  try {
    const out = driver.createOutputTopic("out", serdes.string(), serdes.string());
    driver.createInputTopic("products", serdes.string(), serdes.string()).pipeInput("p1", "pen");
    driver.createInputTopic("orders", serdes.string(), order).pipeInput("o1", { product: "p1", qty: 2 });
    assert.deepEqual(out.readKeyValuesToList().map(({ key, value }) => [key, value]), [["o1", "2x pen"]]);
  } finally {
    driver.close();
  }
});

test("the subscription and response topics, which each side writes for the other, take the tables' partition count", () => {
  const b = new StreamsBuilder();
  const orders = b.table("orders", { key: serdes.string(), value: order, store: "orders" });
  orders.join(b.table("products", { ...strings, store: "products" }), (o) => o.product, (o, p) => `${o.qty}x ${p}`, { name: "fk" });
  const counts = repartitionPartitionCounts(b.build(), new Map([["orders", 3], ["products", 3]]));
  assert.deepEqual(Object.fromEntries(counts), { "fk-subscription-repartition": 3, "fk-response-repartition": 3 });
});
