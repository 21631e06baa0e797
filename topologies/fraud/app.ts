// Card fraud detection: card transactions → per-card sliding statistics over the last hour, a z-score flag
// against each card's own history, and two CEP rules (card testing, country hop) → one alerts topic.
import { SlidingWindows, StreamsBuilder, app, cep, serdes, type ConsumedRecordView, type Topology } from "weir-streams";
import {
  addToTotals,
  cardStats,
  cardTesting,
  cardTestingAlert,
  checkAmount,
  countryHop,
  countryHopAlert,
  emptyHistory,
  emptyTotals,
  outlierAlert,
  rules,
  type AmountHistory,
  type CardStats,
  type FraudAlert,
  type Transaction,
  type WindowTotals,
} from "./rules.ts";

export type { CardStats, FraudAlert, Transaction } from "./rules.ts";

export interface FraudTopics {
  /** Card transactions keyed by card id. */
  readonly transactions: string;
  /** Every alert of every rule, keyed by card id. */
  readonly alerts: string;
  /** One record per transaction: the card's last hour as of that transaction. */
  readonly stats: string;
}

export const defaultTopics: FraudTopics = {
  transactions: process.env.FRAUD_TRANSACTIONS_TOPIC ?? "card-transactions",
  alerts: process.env.FRAUD_ALERTS_TOPIC ?? "fraud-alerts",
  stats: process.env.FRAUD_STATS_TOPIC ?? "card-stats",
};

/** Event time is the transaction's own `at`, whatever the producer stamped on the record. */
const transactionTime = (record: ConsumedRecordView) => (record.value as Transaction).at;

export function buildTopology(topics: FraudTopics = defaultTopics): Topology {
  const builder = new StreamsBuilder();
  const key = serdes.string();
  const transactions = builder.stream(topics.transactions, { key, value: serdes.json<Transaction>(), timestampExtractor: transactionTime, name: "transactions" });
  const alert = { key, value: serdes.json<FraudAlert>(), name: "to-fraud-alerts" };

  // Sliding statistics: a window [t − 1h, t] per transaction (KIP-450), of which we publish the one ending at
  // the transaction itself: "this card's last hour, as of now". Windows that a transaction only updates
  // (the right windows of earlier ones) are left in the store.
  transactions
    .groupByKey()
    .windowedBy(SlidingWindows.ofTimeDifferenceAndGrace(rules.statsWindowMs, rules.statsGraceMs))
    .aggregate(emptyTotals, (_card, tx, totals) => addToTotals(totals, tx), { store: "card-hour-totals", value: serdes.json<WindowTotals>() })
    .toStream({ name: "card-hour-updates" })
    .filter((windowed, totals) => windowed.window.end === totals.latest, { name: "as-of-each-transaction" })
    .map((windowed, totals): [string, CardStats] => [windowed.key, cardStats(windowed.key, windowed.window, totals)], { name: "card-stats" })
    .to(topics.stats, { key, value: serdes.json<CardStats>(), name: "to-card-stats" });

  // z-score: each amount against the card's running mean and variance before it.
  const outliers = transactions
    .groupByKey()
    .aggregate(emptyHistory, (_card, tx, history) => checkAmount(history, tx), { store: "card-amount-history", value: serdes.json<AmountHistory>() })
    .toStream({ name: "amount-checks" })
    .filter((_card, history) => history.last?.flagged === true, { name: "flagged-amounts" })
    .mapValues((history, card) => outlierAlert(card, history), { name: "amount-outlier-alerts" });

  // CEP: partial matches per card in stores with changelogs; partial matches that time out are not alerts.
  const testing = cep(transactions, cardTesting, { store: "card-testing", name: "card-testing-rule" }).matches.mapValues((m, card) => cardTestingAlert(card, m), { name: "card-testing-alerts" });
  const hops = cep(transactions, countryHop, { store: "country-hop", name: "country-hop-rule" }).matches.mapValues((m, card) => countryHopAlert(card, m), { name: "country-hop-alerts" });

  outliers.merge(testing, { name: "alerts-1" }).merge(hops, { name: "all-alerts" }).to(topics.alerts, alert);
  return builder.build();
}

export default app({ applicationId: process.env.FRAUD_APPLICATION_ID ?? "fraud", topology: buildTopology() });
