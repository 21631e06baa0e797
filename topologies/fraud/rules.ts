// The fraud example's logic, free of topics and serdes: the transaction and alert types, the sliding
// statistics aggregate, the per-card amount history (Welford) behind the z-score flag, the two CEP
// patterns, and how each detection becomes an alert.
import { pattern, type Match } from "weir-streams";

/** One card transaction, keyed by `card` on the input topic; `at` is its event time (epoch ms). */
export interface Transaction {
  readonly txId: string;
  readonly card: string;
  readonly merchant: string;
  /** ISO 3166 alpha-2 country of the merchant. */
  readonly country: string;
  readonly amount: number;
  readonly at: number;
}

export type AlertKind = "card-testing" | "country-hop" | "amount-outlier";

/** What the `fraud-alerts` topic carries, keyed by card, stamped with the last evidence's event time. */
export interface FraudAlert {
  readonly kind: AlertKind;
  readonly card: string;
  /** Event time of the transaction that completed the detection. */
  readonly at: number;
  readonly summary: string;
  /** The transactions that made the detection, in event order. */
  readonly evidence: readonly Transaction[];
  /** amount-outlier only: the score and the history it was measured against. */
  readonly score?: AmountScore;
}

export interface AmountScore {
  readonly z: number;
  /** The card's history before the flagged transaction: how many, their mean and sample standard deviation. */
  readonly history: number;
  readonly mean: number;
  readonly stdDev: number;
}

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;

/** The rules' thresholds, written once so tests, README and generator agree. */
export const rules = {
  /** Sliding statistics look back this far from each transaction. */
  statsWindowMs: HOUR,
  /** How late (behind stream time) a transaction may arrive and still count in the sliding statistics. */
  statsGraceMs: 5 * MINUTE,
  /** |z| above this flags an amount... */
  zThreshold: 3,
  /** ...once the card has at least this many transactions of history. */
  minHistory: 10,
  /** Card testing: at least `smallCount` charges under `smallBelow`, then one over `largeAbove`, within `testingWithinMs`. */
  smallBelow: 5,
  smallCount: 3,
  largeAbove: 500,
  testingWithinMs: 10 * MINUTE,
  /** Country hop: two countries within this long. */
  hopWithinMs: HOUR,
} as const;

const round2 = (x: number) => Math.round(x * 100) / 100;

// ---- Sliding statistics ----------------------------------------------------------------------------

/** A sliding window's aggregate: `latest` is the newest event time in it, to tell a transaction's own window. */
export interface WindowTotals {
  readonly count: number;
  readonly sum: number;
  readonly max: number;
  readonly latest: number;
}

/** One card's last hour as of one of its transactions: what the `card-stats` topic carries. */
export interface CardStats {
  readonly card: string;
  readonly windowStart: number;
  readonly windowEnd: number;
  readonly count: number;
  readonly sum: number;
  readonly mean: number;
  readonly max: number;
}

export const emptyTotals = (): WindowTotals => ({ count: 0, sum: 0, max: 0, latest: 0 });

export function addToTotals(totals: WindowTotals, tx: Transaction): WindowTotals {
  return { count: totals.count + 1, sum: round2(totals.sum + tx.amount), max: Math.max(totals.max, tx.amount), latest: Math.max(totals.latest, tx.at) };
}

export function cardStats(card: string, window: { readonly start: number; readonly end: number }, totals: WindowTotals): CardStats {
  return { card, windowStart: window.start, windowEnd: window.end, count: totals.count, sum: totals.sum, mean: round2(totals.sum / totals.count), max: totals.max };
}

// ---- Amount history and z-score ----------------------------------------------------------------------

/** A card's amounts so far, as Welford's running count, mean and sum of squared deviations, and the verdict on the latest one. */
export interface AmountHistory {
  readonly n: number;
  readonly mean: number;
  readonly m2: number;
  /** The transaction just checked, and its score when the card had enough history and some spread. */
  readonly last: { readonly tx: Transaction; readonly score: AmountScore | null; readonly flagged: boolean } | null;
}

export const emptyHistory = (): AmountHistory => ({ n: 0, mean: 0, m2: 0, last: null });

/**
 * Scores `tx` against the history before it, then folds it in. A flagged amount stays out of the history,
 * so one stolen-card spree does not widen the card's normal range and hide the next.
 */
export function checkAmount(history: AmountHistory, tx: Transaction): AmountHistory {
  const stdDev = history.n >= 2 ? Math.sqrt(history.m2 / (history.n - 1)) : 0;
  const score = history.n >= rules.minHistory && stdDev > 0 ? { z: (tx.amount - history.mean) / stdDev, history: history.n, mean: history.mean, stdDev } : null;
  const flagged = score !== null && Math.abs(score.z) > rules.zThreshold;
  if (flagged) return { ...history, last: { tx, score, flagged } };
  // Welford: numerically stable running mean and variance, one pass, O(1) state.
  const n = history.n + 1;
  const delta = tx.amount - history.mean;
  const mean = history.mean + delta / n;
  return { n, mean, m2: history.m2 + delta * (tx.amount - mean), last: { tx, score, flagged } };
}

export function outlierAlert(card: string, history: AmountHistory): FraudAlert {
  const { tx } = history.last!;
  const score = history.last!.score!;
  const direction = score.z > 0 ? "above" : "below";
  return {
    kind: "amount-outlier",
    card,
    at: tx.at,
    summary: `${money(tx.amount)} at ${tx.merchant} is ${Math.abs(score.z).toFixed(1)}σ ${direction} the card's mean ${money(score.mean)} (σ ${money(score.stdDev)}, ${score.history} transactions)`,
    evidence: [tx],
    score: { z: round2(score.z), history: score.history, mean: round2(score.mean), stdDev: round2(score.stdDev) },
  };
}

// ---- CEP rules -------------------------------------------------------------------------------------------

/** Card testing: small charges to see whether a stolen card works, then a large one; one alert per burst. */
export const cardTesting = pattern<Transaction>({ afterMatch: "skipPastLastEvent" })
  .begin("small")
  .where((tx) => tx.amount < rules.smallBelow)
  .timesOrMore(rules.smallCount)
  .greedy()
  .followedBy("large")
  .where((tx) => tx.amount > rules.largeAbove)
  .within(rules.testingWithinMs);

/** Country hop: a transaction, then one in another country within the hour (the card cannot have travelled). */
export const countryHop = pattern<Transaction>({ afterMatch: "skipPastLastEvent" })
  .begin("first")
  .followedBy("elsewhere")
  .where((tx, ctx) => tx.country !== ctx.eventsFor("first")[0]!.country)
  .within(rules.hopWithinMs);

export function cardTestingAlert(card: string, match: Match<Transaction>): FraudAlert {
  const small = match.events.small!;
  const large = match.events.large![0]!;
  return {
    kind: "card-testing",
    card,
    at: match.end,
    summary: `${small.length} charges under ${money(rules.smallBelow)}, then ${money(large.amount)} at ${large.merchant}, within ${span(match.end - match.start)}`,
    evidence: [...small, large],
  };
}

export function countryHopAlert(card: string, match: Match<Transaction>): FraudAlert {
  const first = match.events.first![0]!;
  const elsewhere = match.events.elsewhere![0]!;
  return {
    kind: "country-hop",
    card,
    at: match.end,
    summary: `used in ${first.country} then ${elsewhere.country} (${money(elsewhere.amount)} at ${elsewhere.merchant}) within ${span(match.end - match.start)}`,
    evidence: [first, elsewhere],
  };
}

export function money(amount: number): string {
  return amount.toFixed(2);
}

/** "4m 05s", "52m 00s". */
export function span(ms: number): string {
  const seconds = Math.round(ms / 1000);
  return `${Math.floor(seconds / 60)}m ${String(seconds % 60).padStart(2, "0")}s`;
}
