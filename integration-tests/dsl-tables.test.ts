// The table DSL through `weir run` on the real broker: a table re-grouped by a new key (KTable.groupBy), a
// cogroup, foreign-key joins; exact under updates, moves and deletes, and restored from the changelogs.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { readTopic, TopicWriter, type RecordToWrite } from "../src/kafka/tools.ts";
import { serdes } from "../src/serdes/serde.ts";
import { connection, eventually, killAll, readSettled, restoresLogged, startWeir, StateDirs, TestTopics, uniqueName } from "./helpers/cluster.ts";

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

/** The last value per key, and how many records each key got. */
function lastValues(records: readonly { key: Buffer | null; value: Buffer | null }[], read: (b: Buffer) => unknown): Map<string, unknown> {
  const last = new Map<string, unknown>();
  for (const r of records) last.set(r.key!.toString(), r.value === null ? null : read(r.value));
  return last;
}

test("table.groupBy().count() through weir run: moves and deletes subtract from the old group, also after a restore from the changelogs", { timeout: 300_000 }, async () => {
  const users = await topics.create("regroup-users", 2);
  const output = await topics.create("regroup-counts", 2);
  const applicationId = uniqueName("table-regroup");
  for (const internal of ["by-country-repartition", "users-changelog", "by-country-prior-changelog", "users-per-country-changelog"]) {
    topics.adopt(`${applicationId}-${internal}`);
  }
  const env = { REGROUP_USERS_TOPIC: users, REGROUP_OUTPUT_TOPIC: output, WEIR_APPLICATION_ID: applicationId };
  const model = new Map<string, string>();
  const countries = () => {
    const counts = new Map<string, number>(["c0", "c1", "c2", "c3", "X"].map((c) => [c, 0]));
    for (const c of model.values()) counts.set(c, counts.get(c)! + 1);
    return counts;
  };

  // First run: 40 users in 4 countries, one count update each.
  const first = Array.from({ length: 40 }, (_, i) => ({ key: `u${i}`, value: `c${i % 4}` }));
  for (const u of first) model.set(u.key, u.value);
  await write(users, first);
  const run1 = startWeir(["run", "integration-tests/apps/table-regroup.ts"], env, { stateDir: stateDirs.create() });
  const why1 = () => `\nstderr ends:\n${run1.stderr().slice(-3000)}`;
  const out1 = await readSettled(output, 40, 120_000);
  assert.equal(out1.length, 40, `one update per new row: ${JSON.stringify(out1.map((r) => [r.partition, r.key?.toString(), r.value && serdes.int64().deserialize(r.value, output)]))}${why1()}`);
  run1.child.kill("SIGTERM");
  assert.equal(await run1.exited(30_000), 0, `clean exit${why1()}`);

  // Second run on a fresh state dir: the grouping's prior pairs and the counts come back from their changelogs,
  // so that 20 moves (two updates each: the old group's, then the new one's) and 10 deletes (one) are exact.
  const moves = [
    ...Array.from({ length: 20 }, (_, i) => ({ key: `u${i}`, value: "X" })),
    ...Array.from({ length: 10 }, (_, i) => ({ key: `u${20 + i}`, value: null })),
  ];
  for (const m of moves) {
    if (m.value === null) model.delete(m.key);
    else model.set(m.key, m.value);
  }
  await write(users, moves);
  const run2 = startWeir(["run", "integration-tests/apps/table-regroup.ts"], env, { stateDir: stateDirs.create() });
  const why2 = () => `\nstderr ends:\n${run2.stderr().slice(-3000)}`;
  const out2 = await readSettled(output, 40 + 20 * 2 + 10, 120_000);
  assert.equal(out2.length, 90, `40 + 2 per move + 1 per delete${why2()}`);
  const restored = restoresLogged(run2).filter((r) => r.store === "by-country-prior");
  assert.equal(restored.reduce((n, r) => n + r.restored, 0), 40, `the prior pairs of the 40 users are restored${why2()}`);
  const last = lastValues(out2, (b) => serdes.int64().deserialize(b, output));
  assert.deepEqual(Object.fromEntries(last), Object.fromEntries(countries()));
  run2.child.kill("SIGTERM");
  assert.equal(await run2.exited(30_000), 0, `clean exit${why2()}`);
});

test("cogroup().aggregate() through weir run: clicks and purchases of each customer in one aggregate, continued across two bounded runs, the second restored from the changelog", { timeout: 300_000 }, async () => {
  const clicks = await topics.create("cogroup-clicks", 2);
  const purchases = await topics.create("cogroup-purchases", 2);
  const output = await topics.create("cogroup-activity", 2);
  const applicationId = uniqueName("cogroup");
  topics.adopt(`${applicationId}-activity-changelog`);
  const env = { COGROUP_CLICKS_TOPIC: clicks, COGROUP_PURCHASES_TOPIC: purchases, COGROUP_OUTPUT_TOPIC: output, WEIR_APPLICATION_ID: applicationId };
  const expected = new Map<string, { clicks: number; spent: number }>();
  // Each run on a fresh state dir: the second finds no local store and restores "activity" from its changelog.
  const runUntilEnd = async () => {
    const p = startWeir(["run", "integration-tests/apps/cogroup-activity.ts", "--until-end"], env, { stateDir: stateDirs.create() });
    assert.equal(await p.exited(120_000), 0, `weir run --until-end exits 0; stderr ends:\n${p.stderr().slice(-4000)}`);
    return p;
  };
  const writeRound = async (round: number) => {
    const c = Array.from({ length: 30 }, (_, i) => ({ key: `k${i % 7}`, value: `/page-${round}-${i}` }));
    const p = Array.from({ length: 20 }, (_, i) => ({ key: `k${i % 5}`, value: serdes.int64().serialize(i + round, purchases) }));
    for (const r of c) expected.set(r.key, { ...(expected.get(r.key) ?? { clicks: 0, spent: 0 }), clicks: (expected.get(r.key)?.clicks ?? 0) + 1 });
    p.forEach((r, i) => expected.set(r.key, { ...(expected.get(r.key) ?? { clicks: 0, spent: 0 }), spent: (expected.get(r.key)?.spent ?? 0) + i + round }));
    await write(clicks, c);
    await write(purchases, p);
  };
  await writeRound(1);
  await runUntilEnd();
  await writeRound(2); // the second run goes on from the aggregates the first committed
  const run2 = await runUntilEnd();
  const restored = restoresLogged(run2).filter((r) => r.store === "activity");
  assert.ok(restored.reduce((n, r) => n + r.restored, 0) > 0, `the second run restored the cogroup's store "activity" from its changelog; stderr ends:\n${run2.stderr().slice(-3000)}`);
  const records = await readSettled(output, 100, 60_000);
  assert.equal(records.length, 100, "one update per input record");
  const last = lastValues(records, (b) => JSON.parse(b.toString()) as unknown);
  assert.deepEqual(Object.fromEntries(last), Object.fromEntries(expected));
});

test("foreign-key joins (inner and left, on the same tables) through weir run: right after updates, deletes and foreign-key changes on both sides, also after a restore", { timeout: 400_000 }, async () => {
  const ordersTopic = await topics.create("fk-orders", 2);
  const productsTopic = await topics.create("fk-products", 2);
  const inner = await topics.create("fk-inner", 2);
  const left = await topics.create("fk-left", 2);
  const applicationId = uniqueName("fk-join");
  for (const join of ["order-product", "order-product-left"]) {
    for (const internal of ["subscription-repartition", "response-repartition", "foreign-keys-changelog", "subscriptions-changelog"]) {
      topics.adopt(`${applicationId}-${join}-${internal}`);
    }
  }
  topics.adopt(`${applicationId}-orders-changelog`);
  topics.adopt(`${applicationId}-products-changelog`);
  const env = { FK_ORDERS_TOPIC: ordersTopic, FK_PRODUCTS_TOPIC: productsTopic, FK_INNER_OUTPUT_TOPIC: inner, FK_LEFT_OUTPUT_TOPIC: left, WEIR_APPLICATION_ID: applicationId };
  const orders = new Map<string, string>();
  const products = new Map<string, string>();
  const apply = (model: Map<string, string>, records: readonly { key: string; value: string | null }[]) => {
    for (const r of records) {
      if (r.value === null) model.delete(r.key);
      else model.set(r.key, r.value);
    }
  };
  const expected = (kind: "inner" | "left") => {
    const out = new Map<string, string>();
    for (const [id, o] of orders) {
      const product = products.get(o.split(":")[0]!);
      if (product !== undefined) out.set(id, `${o}|${product}`);
      else if (kind === "left") out.set(id, `${o}|?`);
    }
    return out;
  };
  const settle = async (topic: string, kind: "inner" | "left", why: () => string) => {
    const want = expected(kind);
    let got = new Map<string, unknown>();
    await eventually(`the ${kind} join's results`, 120_000, async () => {
      got = lastValues(await readTopic(connection(), topic, { timeoutMs: 1500 }), (b) => b.toString());
      const live = new Map([...got].filter(([, v]) => v !== null));
      return JSON.stringify([...live].sort()) === JSON.stringify([...want].sort());
    }).catch(() => assert.deepEqual(Object.fromEntries([...got].filter(([, v]) => v !== null)), Object.fromEntries(want), `${kind} join${why()}`));
  };

  const productRecords = Array.from({ length: 5 }, (_, i) => ({ key: `p${i}`, value: `product-${i}` }));
  const orderRecords = Array.from({ length: 24 }, (_, i) => ({ key: `o${i}`, value: `p${i % 6}:${i}` })); // p5 never exists
  apply(products, productRecords);
  apply(orders, orderRecords);
  await write(productsTopic, productRecords);
  await write(ordersTopic, orderRecords);
  const run1 = startWeir(["run", "integration-tests/apps/foreign-key-join.ts"], env, { stateDir: stateDirs.create() });
  const why1 = () => `\nstderr ends:\n${run1.stderr().slice(-3000)}`;
  await settle(inner, "inner", why1);
  await settle(left, "left", why1);
  run1.child.kill("SIGTERM");
  assert.equal(await run1.exited(30_000), 0, `clean exit${why1()}`);

  // Second run on a fresh state dir (every store restored from its changelog): orders move to other products,
  // lose their product or are deleted; a product is renamed, one deleted, the missing one created.
  const orderChanges = [
    ...Array.from({ length: 6 }, (_, i) => ({ key: `o${i}`, value: `p${(i + 1) % 6}:${i}` })),
    { key: "o6", value: ":6" },
    { key: "o7", value: null },
    { key: "o8", value: null },
  ];
  const productChanges = [
    { key: "p1", value: "product-1b" },
    { key: "p2", value: null },
    { key: "p5", value: "product-5" },
  ];
  apply(orders, orderChanges);
  apply(products, productChanges);
  await write(ordersTopic, orderChanges);
  await write(productsTopic, productChanges);
  const run2 = startWeir(["run", "integration-tests/apps/foreign-key-join.ts"], env, { stateDir: stateDirs.create() });
  const why2 = () => `\nstderr ends:\n${run2.stderr().slice(-3000)}`;
  await settle(inner, "inner", why2);
  await settle(left, "left", why2);
  assert.ok(restoresLogged(run2).some((r) => r.store === "order-product-subscriptions" && r.restored > 0), `subscriptions restored${why2()}`);
  run2.child.kill("SIGTERM");
  assert.equal(await run2.exited(30_000), 0, `clean exit${why2()}`);
});
