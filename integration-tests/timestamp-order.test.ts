// Issue 5: a task reading several partitions takes their records in timestamp order. The orders are
// written (and so fetched) before the customers, but carry later event times, and one customer is renamed
// in between: processed in arrival order, orders would find no customer or the wrong name; in timestamp
// order each order finds the name its customer had at the order's time. Exact output through weir run.
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

test("a stream–table join sees both topics' records in timestamp order, not in the order they were written", { timeout: 300_000 }, async () => {
  const orders = await topics.create("orders", 2);
  const customers = await topics.create("customers", 2);
  const out = await topics.create("orders-named", 2);
  const applicationId = uniqueName("timestamp-order");
  topics.adopt(`${applicationId}-customers-changelog`);
  // Event times near now, so the broker's retention keeps them.
  const t0 = Date.now() - 10 * 60_000;

  // Orders first: 40 orders of customers c0..c3, at t0 + 1000 + 10·i.
  const orderRecords = Array.from({ length: 40 }, (_, i) => ({ key: `c${i % 4}`, value: `o${i}`, timestamp: t0 + 1000 + 10 * i }));
  await write(orders, orderRecords);
  // Then the customers, all earlier than every order except c3, and c0 renamed at t0 + 1200 (between o19 and o20).
  await write(customers, [
    { key: "c0", value: "Ann", timestamp: t0 },
    { key: "c1", value: "Bob", timestamp: t0 + 1 },
    { key: "c2", value: "Cid", timestamp: t0 + 2 },
    { key: "c0", value: "Ann-2", timestamp: t0 + 1195 },
    { key: "c3", value: "Dee", timestamp: t0 + 1205 },
  ]);

  const env = { ORDER_ORDERS_TOPIC: orders, ORDER_CUSTOMERS_TOPIC: customers, ORDER_OUT_TOPIC: out, WEIR_APPLICATION_ID: applicationId };
  const stateDir = stateDirs.create();
  const runUntilEnd = async () => {
    const weir = startWeir(["run", "integration-tests/apps/timestamp-order.ts", "--until-end"], env, { stateDir });
    assert.equal(await weir.exited(120_000), 0, `weir run --until-end exits 0; stderr ends:\n${weir.stderr().slice(-4000)}`);
  };
  await runUntilEnd();

  const names: Record<string, (ts: number) => string> = {
    c0: (ts) => (ts < t0 + 1195 ? "Ann" : "Ann-2"),
    c1: () => "Bob",
    c2: () => "Cid",
    c3: (ts) => (ts < t0 + 1205 ? "none" : "Dee"),
  };
  const expected = orderRecords.map((o) => `${o.key}=${o.value}|${names[o.key]!(o.timestamp)}@${o.timestamp}`).sort();
  const got = (await readSettled(out, expected.length, 30_000)).map((r) => `${r.key?.toString()}=${r.value?.toString()}@${r.timestamp}`).sort();
  assert.deepEqual(got, expected);
  // The renames and the late customer really split their customers' orders (the test can tell the orders apart).
  assert.ok(expected.some((e) => e.includes("|Ann@")) && expected.some((e) => e.includes("|Ann-2@")));
  assert.ok(expected.some((e) => e.includes("c3=") && e.includes("|none@")) && expected.some((e) => e.includes("|Dee@")));

  // A second run on the same state: only orders are new. The customers partitions are at their end from
  // the start and never yield a batch; their end offsets, read when the task starts running, tell the
  // task not to wait for them.
  const moreOrders = Array.from({ length: 8 }, (_, i) => ({ key: `c${i % 4}`, value: `p${i}`, timestamp: t0 + 5000 + i }));
  await write(orders, moreOrders);
  await runUntilEnd();
  const latest: Record<string, string> = { c0: "Ann-2", c1: "Bob", c2: "Cid", c3: "Dee" };
  const all = [...expected, ...moreOrders.map((o) => `${o.key}=${o.value}|${latest[o.key]!}@${o.timestamp}`)].sort();
  const gotAll = (await readSettled(out, all.length, 30_000)).map((r) => `${r.key?.toString()}=${r.value?.toString()}@${r.timestamp}`).sort();
  assert.deepEqual(gotAll, all);
});
