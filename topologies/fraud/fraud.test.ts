// The fraud topology through the TopologyTestDriver: every output written out by hand for small inputs.
import assert from "node:assert/strict";
import { test } from "node:test";
import { serdes } from "weir-streams";
import { TopologyTestDriver } from "weir-streams/testing";
import { buildTopology, type CardStats, type FraudAlert, type Transaction } from "./app.ts";

const T = Date.UTC(2026, 0, 15, 9, 0, 0);
const MIN = 60_000;
const topics = { transactions: "transactions", alerts: "fraud-alerts", stats: "card-stats" };

function run() {
  const driver = new TopologyTestDriver(buildTopology(topics), { applicationId: "fraud-test" });
  const input = driver.createInputTopic(topics.transactions, serdes.string(), serdes.json<Transaction>());
  let seq = 0;
  /** Pipes one transaction `minute` minutes after T; the record's own timestamp is the event time unless given. */
  const pay = (card: string, minute: number, amount: number, country = "FR", merchant = "Bistro", recordTimestamp?: number): Transaction => {
    const tx = { txId: `t${++seq}`, card, merchant, country, amount, at: T + minute * MIN };
    input.pipeInput(card, tx, recordTimestamp ?? tx.at);
    return tx;
  };
  const alerts = () => driver.createOutputTopic(topics.alerts, serdes.string(), serdes.json<FraudAlert>()).readRecordsToList().map((r) => ({ key: r.key, value: r.value, timestamp: r.timestamp }));
  const stats = () => driver.createOutputTopic(topics.stats, serdes.string(), serdes.json<CardStats>()).readRecordsToList().map((r) => ({ key: r.key, value: r.value, timestamp: r.timestamp }));
  return { driver, pay, alerts, stats };
}

/** card-1's ten transactions alternating 40.00 and 60.00, one a minute from T: mean 50, sample σ = √(1000/9) = 10.5409. */
function tenAlternating(pay: ReturnType<typeof run>["pay"], card: string): void {
  for (let i = 0; i < 10; i++) pay(card, i, i % 2 === 0 ? 40 : 60);
}

test("card stats: each transaction publishes its card's last hour, both ends included", () => {
  const { driver, pay, alerts, stats } = run();
  pay("card-1", 0, 20);
  pay("card-1", 10, 30.5);
  pay("card-2", 20, 7.25);
  pay("card-1", 50, 9.5);
  pay("card-1", 70, 100); // its hour starts at minute 10: the 30.50 exactly an hour before still counts
  assert.deepEqual(stats(), [
    { key: "card-1", value: { card: "card-1", windowStart: T - 60 * MIN, windowEnd: T, count: 1, sum: 20, mean: 20, max: 20 }, timestamp: T },
    { key: "card-1", value: { card: "card-1", windowStart: T - 50 * MIN, windowEnd: T + 10 * MIN, count: 2, sum: 50.5, mean: 25.25, max: 30.5 }, timestamp: T + 10 * MIN },
    { key: "card-2", value: { card: "card-2", windowStart: T - 40 * MIN, windowEnd: T + 20 * MIN, count: 1, sum: 7.25, mean: 7.25, max: 7.25 }, timestamp: T + 20 * MIN },
    { key: "card-1", value: { card: "card-1", windowStart: T - 10 * MIN, windowEnd: T + 50 * MIN, count: 3, sum: 60, mean: 20, max: 30.5 }, timestamp: T + 50 * MIN },
    { key: "card-1", value: { card: "card-1", windowStart: T + 10 * MIN, windowEnd: T + 70 * MIN, count: 3, sum: 140, mean: 46.67, max: 100 }, timestamp: T + 70 * MIN },
  ]);
  assert.deepEqual(alerts(), []);
  driver.close();
});

test("card stats: a transaction more than the 5-minute grace behind stream time publishes none", () => {
  const { driver, pay, stats } = run();
  pay("card-1", 70, 10); // stream time T+70m: windows ending before T+65m are closed
  pay("card-2", 65, 20); // its window ends exactly at the close: still open
  pay("card-3", 64, 30); // closed: dropped from the statistics (and counted as late)
  assert.deepEqual(stats(), [
    { key: "card-1", value: { card: "card-1", windowStart: T + 10 * MIN, windowEnd: T + 70 * MIN, count: 1, sum: 10, mean: 10, max: 10 }, timestamp: T + 70 * MIN },
    { key: "card-2", value: { card: "card-2", windowStart: T + 5 * MIN, windowEnd: T + 65 * MIN, count: 1, sum: 20, mean: 20, max: 20 }, timestamp: T + 65 * MIN },
  ]);
  driver.close();
});

test("event time is the transaction's `at`, not the record timestamp the producer stamped", () => {
  const { driver, pay, stats } = run();
  pay("card-1", 0, 12, "FR", "Bistro", T + 24 * 60 * MIN);
  assert.deepEqual(stats(), [{ key: "card-1", value: { card: "card-1", windowStart: T - 60 * MIN, windowEnd: T, count: 1, sum: 12, mean: 12, max: 12 }, timestamp: T }]);
  driver.close();
});

test("amount outlier: |z| > 3 against the card's own history flags high and low amounts; a flagged amount stays out of the history", () => {
  const { driver, pay, alerts } = run();
  tenAlternating(pay, "card-z");
  const high = pay("card-z", 10, 90); // z = 40 / 10.5409 = 3.7947
  const low = pay("card-z", 11, 5); // the history is still the ten: z = -45 / 10.5409 = -4.2691
  pay("card-z", 12, 60); // z = 10 / 10.5409 = 0.9487: folded in
  assert.deepEqual(alerts(), [
    {
      key: "card-z",
      value: {
        kind: "amount-outlier",
        card: "card-z",
        at: T + 10 * MIN,
        summary: "90.00 at Bistro is 3.8σ above the card's mean 50.00 (σ 10.54, 10 transactions)",
        evidence: [high],
        score: { z: 3.79, history: 10, mean: 50, stdDev: 10.54 },
      },
      timestamp: T + 10 * MIN,
    },
    {
      key: "card-z",
      value: {
        kind: "amount-outlier",
        card: "card-z",
        at: T + 11 * MIN,
        summary: "5.00 at Bistro is 4.3σ below the card's mean 50.00 (σ 10.54, 10 transactions)",
        evidence: [low],
        score: { z: -4.27, history: 10, mean: 50, stdDev: 10.54 },
      },
      timestamp: T + 11 * MIN,
    },
  ]);
  assert.equal(driver.getKeyValueStore<string, { n: number }>("card-amount-history").get("card-z")!.n, 11, "ten, plus the 60.00");
  driver.close();
});

test("amount outlier: no score with fewer than ten transactions of history, nor when the history has no spread", () => {
  const { driver, pay, alerts } = run();
  for (let i = 0; i < 9; i++) pay("card-y", i, i % 2 === 0 ? 40 : 60);
  pay("card-y", 9, 1000); // the tenth: history of nine, not scored (and folded in)
  for (let i = 0; i < 10; i++) pay("card-w", 20 + i, 25);
  pay("card-w", 30, 500); // σ = 0: no z-score
  assert.deepEqual(alerts(), []);
  driver.close();
});

test("card testing: three charges under 5.00 then one over 500.00 within 10 minutes raise one alert with the burst", () => {
  const { driver, pay, alerts } = run();
  const s1 = pay("card-t", 0, 1, "FR", "gift-cards.example");
  const s2 = pay("card-t", 1, 2.5, "FR", "gift-cards.example");
  pay("card-t", 2, 45); // neither small nor large: skipped
  pay("card-t", 2.5, 5); // 5.00 is not under 5.00
  const s3 = pay("card-t", 3, 4.99, "FR", "gift-cards.example");
  const large = pay("card-t", 6, 899, "FR", "ElectroMax");
  assert.deepEqual(alerts(), [
    {
      key: "card-t",
      value: { kind: "card-testing", card: "card-t", at: T + 6 * MIN, summary: "3 charges under 5.00, then 899.00 at ElectroMax, within 6m 00s", evidence: [s1, s2, s3, large] },
      timestamp: T + 6 * MIN,
    },
  ]);
  driver.close();
});

test("card testing: the burst is measured from its first small charge still within 10 minutes of the large one", () => {
  const { driver, pay, alerts } = run();
  pay("card-u", 0, 1); // 10.5 minutes before the large charge: out of the burst
  const kept = [pay("card-u", 1, 1), pay("card-u", 2, 1), pay("card-u", 3, 1)];
  const large = pay("card-u", 10.5, 700, "FR", "LuxWatch");
  assert.deepEqual(alerts(), [
    {
      key: "card-u",
      value: { kind: "card-testing", card: "card-u", at: T + 10.5 * MIN, summary: "3 charges under 5.00, then 700.00 at LuxWatch, within 9m 30s", evidence: [...kept, large] },
      timestamp: T + 10.5 * MIN,
    },
  ]);
  driver.close();
});

test("card testing: no alert for a large charge exactly 10 minutes after the burst began, for two small charges only, or for 500.00", () => {
  const { driver, pay, alerts } = run();
  pay("card-v", 0, 1);
  pay("card-v", 1, 1);
  pay("card-v", 2, 1);
  pay("card-v", 10, 700); // exactly 10 minutes: outside `within` (and only two smalls from minute 1)
  pay("card-x", 20, 1);
  pay("card-x", 21, 1);
  pay("card-x", 22, 900); // two small charges
  pay("card-q", 30, 1);
  pay("card-q", 31, 1);
  pay("card-q", 32, 1);
  pay("card-q", 33, 500); // not over 500.00
  assert.deepEqual(alerts(), []);
  driver.close();
});

test("country hop: two countries within the hour raise one alert; a hop back at once is the same incident; 60 minutes apart is none", () => {
  const { driver, pay, alerts } = run();
  const first = pay("card-h", 0, 40, "FR");
  pay("card-h", 10, 40, "FR");
  const hop = pay("card-h", 30, 40, "DE", "Kaufhaus");
  pay("card-h", 45, 40, "FR"); // matches never share a transaction: DE → FR needs a new transaction in DE first
  pay("card-k", 50, 40, "FR");
  pay("card-k", 110, 40, "DE"); // exactly an hour later
  const es = pay("card-j", 120, 40, "ES");
  const pt = pay("card-j", 179, 25.5, "PT", "Pingo Doce");
  assert.deepEqual(alerts(), [
    {
      key: "card-h",
      value: { kind: "country-hop", card: "card-h", at: T + 30 * MIN, summary: "used in FR then DE (40.00 at Kaufhaus) within 30m 00s", evidence: [first, hop] },
      timestamp: T + 30 * MIN,
    },
    {
      key: "card-j",
      value: { kind: "country-hop", card: "card-j", at: T + 179 * MIN, summary: "used in ES then PT (25.50 at Pingo Doce) within 59m 00s", evidence: [es, pt] },
      timestamp: T + 179 * MIN,
    },
  ]);
  driver.close();
});

test("every rule writes to the one alerts topic: a stolen card's test charges, cash-out and trip abroad, in order", () => {
  const { driver, pay, alerts } = run();
  tenAlternating(pay, "card-s");
  const s1 = pay("card-s", 10, 1, "FR", "donate-now.example"); // z = -49 / 10.5409 = -4.6486
  const s2 = pay("card-s", 11, 2, "FR", "donate-now.example"); // z = -4.5537
  const s3 = pay("card-s", 12, 3, "FR", "donate-now.example"); // z = -4.4588
  const large = pay("card-s", 13, 900, "FR", "JewelBox"); // z = 850 / 10.5409 = 80.638, and the burst completes
  const abroad = pay("card-s", 20, 40, "DE", "Kaufhaus"); // z = -0.95; an hour after FR at T
  const summaries = alerts().map((a) => [a.timestamp, a.value!.kind, a.value!.summary, a.value!.evidence.map((tx) => tx.txId)]);
  assert.deepEqual(summaries, [
    [T + 10 * MIN, "amount-outlier", "1.00 at donate-now.example is 4.6σ below the card's mean 50.00 (σ 10.54, 10 transactions)", [s1.txId]],
    [T + 11 * MIN, "amount-outlier", "2.00 at donate-now.example is 4.6σ below the card's mean 50.00 (σ 10.54, 10 transactions)", [s2.txId]],
    [T + 12 * MIN, "amount-outlier", "3.00 at donate-now.example is 4.5σ below the card's mean 50.00 (σ 10.54, 10 transactions)", [s3.txId]],
    [T + 13 * MIN, "amount-outlier", "900.00 at JewelBox is 80.6σ above the card's mean 50.00 (σ 10.54, 10 transactions)", [large.txId]],
    [T + 13 * MIN, "card-testing", "3 charges under 5.00, then 900.00 at JewelBox, within 3m 00s", [s1.txId, s2.txId, s3.txId, large.txId]],
    [T + 20 * MIN, "country-hop", "used in FR then DE (40.00 at Kaufhaus) within 20m 00s", ["t1", abroad.txId]],
  ]);
  driver.close();
});
