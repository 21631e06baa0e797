// Joins through `weir run` on the real broker: a stream–table join and a stream–global-table left join
// with exact outputs, across two bounded runs on one state dir (the second restores the global store
// from its checkpoint and reads only what was added), and the co-partitioning check at start.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { TopicWriter, type RecordToWrite } from "../src/kafka/tools.ts";
import { killAll, readSettled, startWeir, StateDirs, TestTopics, uniqueName, connection } from "./helpers/cluster.ts";

const topics = new TestTopics();
const stateDirs = new StateDirs();
after(async () => {
  await killAll();
  await topics.drop();
  stateDirs.removeAll();
});

async function write(topic: string, records: readonly RecordToWrite[]): Promise<void> {
  const writer = new TopicWriter(connection());
  await writer.connect();
  try {
    await writer.write(topic, records);
  } finally {
    await writer.close();
  }
}

test("a stream–table join and a stream–global-table left join give exact outputs through weir run", { timeout: 300_000 }, async () => {
  const orders = await topics.create("orders", 3);
  const customers = await topics.create("customers", 3);
  // A global table need not be co-partitioned: 2 partitions against the orders' 3.
  const products = await topics.create("products", 2);
  const customerOut = await topics.create("orders-by-customer", 3);
  const productOut = await topics.create("orders-by-product", 3);
  const applicationId = uniqueName("joins");
  topics.adopt(`${applicationId}-customers-changelog`);
  const env = {
    JOIN_ORDERS_TOPIC: orders,
    JOIN_CUSTOMERS_TOPIC: customers,
    JOIN_PRODUCTS_TOPIC: products,
    JOIN_CUSTOMER_OUT_TOPIC: customerOut,
    JOIN_PRODUCT_OUT_TOPIC: productOut,
    WEIR_APPLICATION_ID: applicationId,
  };
  const stateDir = stateDirs.create();
  const runUntilEnd = async () => {
    const p = startWeir(["run", "integration-tests/apps/joins.ts", "--until-end"], env, { stateDir });
    assert.equal(await p.exited(120_000), 0, `weir run --until-end exits 0; stderr ends:\n${p.stderr().slice(-4000)}`);
    return p;
  };

  // Customers c0..c9, then c9 deleted; products p0..p4 over both partitions, then p4 deleted.
  await write(customers, [
    ...Array.from({ length: 10 }, (_, i) => ({ key: `c${i}`, value: `name-${i}` })),
    { key: "c9", value: null },
  ]);
  await write(products, [
    ...Array.from({ length: 5 }, (_, i) => ({ key: `p${i}`, value: `product-${i}`, partition: i % 2 })),
    { key: "p4", value: null, partition: 0 },
  ]);
  // First run: no orders yet; the customers table is built (and the global store restored) before any order.
  const first = await runUntilEnd();
  assert.ok(first.logs("global stores restored").length === 1, "the first run restores the global store");

  // Between the runs: p1 renamed. The second run reads it from the global store's checkpoint on.
  await write(products, [{ key: "p1", value: "product-1b", partition: 1 }]);
  const orderRecords = Array.from({ length: 30 }, (_, i) => ({ key: `c${i % 12}`, value: `p${i % 6}:${i}` }));
  await write(orders, orderRecords);
  const second = await runUntilEnd();
  // The second run reads the global topic from the checkpoint the first one left: partition 0 held p0, p2,
  // p4 and p4's tombstone (offsets 0-3), partition 1 held p1, p3 (0-1).
  const restore = second.logs("global store restore started")[0];
  assert.deepEqual(restore?.from, { [`${products}:0`]: "4", [`${products}:1`]: "2" });

  const productName = (p: string) => (p === "p1" ? "product-1b" : p === "p4" || p === "p5" ? "unknown" : `product-${p.slice(1)}`);
  const expectedByCustomer = orderRecords
    .filter((o) => Number(o.key.slice(1)) <= 8)
    .map((o) => `${o.key}=${o.value}|name-${o.key.slice(1)}`)
    .sort();
  const expectedByProduct = orderRecords.map((o) => `${o.key}=${o.value}|${productName(o.value.split(":")[0]!)}`).sort();

  const byCustomer = (await readSettled(customerOut, expectedByCustomer.length, 30_000)).map((r) => `${r.key?.toString()}=${r.value?.toString()}`).sort();
  const byProduct = (await readSettled(productOut, expectedByProduct.length, 30_000)).map((r) => `${r.key?.toString()}=${r.value?.toString()}`).sort();
  assert.deepEqual(byCustomer, expectedByCustomer);
  assert.deepEqual(byProduct, expectedByProduct);
});

test("a join of topics with different partition counts fails at start, naming both and their counts", { timeout: 120_000 }, async () => {
  const orders = await topics.create("orders", 2);
  const customers = await topics.create("customers", 3);
  const products = await topics.create("products", 1);
  const out = await topics.create("out", 1);
  const weir = startWeir(["run", "integration-tests/apps/joins.ts"], {
    JOIN_ORDERS_TOPIC: orders,
    JOIN_CUSTOMERS_TOPIC: customers,
    JOIN_PRODUCTS_TOPIC: products,
    JOIN_CUSTOMER_OUT_TOPIC: out,
    JOIN_PRODUCT_OUT_TOPIC: out,
    WEIR_APPLICATION_ID: uniqueName("joins-copartition"),
  });
  assert.equal(await weir.exited(60_000), 2);
  assert.match(weir.stderr(), /WEIR_TOPOLOGY_INVALID: topics .* must have the same number of partitions \(they are co-partitioned/);
  assert.match(weir.stderr(), new RegExp(`${orders} \\(2 partitions\\)`));
  assert.match(weir.stderr(), new RegExp(`${customers} \\(3 partitions\\)`));
});
