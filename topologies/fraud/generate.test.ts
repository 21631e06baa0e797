// The fraud generator: seeded, in event-time order, ordinary cards stay at home, and each injected
// scenario shows up (and is caught by the topology).
import assert from "node:assert/strict";
import { test } from "node:test";
import { serdes } from "weir-streams";
import { TopologyTestDriver } from "weir-streams/testing";
import { buildTopology, type FraudAlert } from "./app.ts";
import { events, transactions } from "./generate.ts";

const base = Date.UTC(2026, 0, 15, 6, 0, 0);

test("the same seed gives the same transactions; another seed, others", () => {
  assert.deepEqual(transactions(500, 3, base), transactions(500, 3, base));
  assert.notDeepEqual(transactions(500, 3, base), transactions(500, 4, base));
});

test("transactions come in event-time order from the base time, with unique ids, as records keyed by card", () => {
  const txs = transactions(3000, 5, base);
  assert.equal(txs[0]!.at, base);
  for (let i = 1; i < txs.length; i++) assert.ok(txs[i]!.at >= txs[i - 1]!.at, `${txs[i]!.txId} is not before ${txs[i - 1]!.txId}`);
  assert.equal(new Set(txs.map((t) => t.txId)).size, txs.length);
  const records = events(3, 5, base);
  assert.deepEqual(
    records.map((r) => [r.key, r.timestamp]),
    txs.slice(0, 3).map((t) => [t.card, t.at]),
  );
  assert.deepEqual(JSON.parse(records[0]!.value as string), txs[0]);
});

test("without fraud, every card spends at home, at ordinary shops, in ordinary amounts", () => {
  const txs = transactions(5000, 6, base, { fraudRate: 0 });
  const countries = new Map<string, Set<string>>();
  for (const tx of txs) (countries.get(tx.card) ?? countries.set(tx.card, new Set()).get(tx.card)!).add(tx.country);
  assert.ok([...countries.values()].every((c) => c.size === 1), "one country per card");
  assert.ok(txs.every((t) => !/\.example$|ElectroMax|LuxWatch|JewelBox|GadgetHub/.test(t.merchant)));
  assert.ok(txs.every((t) => t.amount >= 1 && t.amount < 500), "between 1.00 and 500.00");
});

test("with the default fraud rate, the topology raises alerts of every kind on 6,000 generated transactions", () => {
  const driver = new TopologyTestDriver(buildTopology({ transactions: "tx", alerts: "alerts", stats: "stats" }), { applicationId: "fraud-generated" });
  const input = driver.createInputTopic("tx", serdes.string(), serdes.string());
  for (const r of events(6000, 9, base)) input.pipeInput(r.key as string, r.value as string, r.timestamp);
  const alerts = driver.createOutputTopic("alerts", serdes.string(), serdes.json<FraudAlert>()).readValuesToList();
  const kinds = new Set(alerts.map((a) => a!.kind));
  assert.deepEqual([...kinds].sort(), ["amount-outlier", "card-testing", "country-hop"]);
  assert.equal(driver.createOutputTopic("stats", serdes.string(), serdes.string()).getQueueSize(), 6000, "one stats record per transaction, none late");
  driver.close();
});
