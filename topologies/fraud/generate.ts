// Seeded card-transaction generator: many cards spending plausibly at home, plus fraud injected at a rate:
// card testing (tiny charges, then a big one), country hopping, and one big outlier on a card with history.
import { fileURLToPath } from "node:url";
import type { RecordToWrite } from "../../src/kafka/tools.ts";
import { parseGeneratorArgs, runGenerator } from "../lib/generator-cli.ts";
import { SeededRandom } from "../lib/random.ts";
import { defaultTopics, type Transaction } from "./app.ts";
import { MINUTE } from "./rules.ts";

export interface GeneratorOptions {
  /** How many cards spend. */
  readonly cards: number;
  /** Chance that a fraud scenario starts after each ordinary transaction. */
  readonly fraudRate: number;
  /** Mean event-time gap between two ordinary transactions (of all cards together). */
  readonly meanGapMs: number;
}

export const defaultOptions: GeneratorOptions = { cards: 1000, fraudRate: 0.01, meanGapMs: 1500 };

export type Scenario = "card-testing" | "country-hop" | "big-outlier";

const countries = ["FR", "DE", "NL", "ES", "IT", "GB", "IE", "PL", "SE", "PT"];
const shops = ["Carrefour", "Lidl", "Shell", "Ikea", "Decathlon", "Zara", "Fnac", "Starbucks", "Uber", "Amazon", "Boulangerie", "Pharmacie", "Cinema", "Bistro"];
/** Where stolen cards are tried out. */
const testingShops = ["gift-cards.example", "donate-now.example", "app-credits.example", "parking-pay.example"];
const cashOutShops = ["ElectroMax", "LuxWatch", "JewelBox", "GadgetHub"];
/** Typical amount per card: commuter, everyday, family, big spender. */
const spendingProfiles = [18, 35, 60, 120];
/** Relative activity: most cards are occasional, a few are busy. */
const activity = [1, 1, 1, 2, 3, 6];

interface Card {
  readonly id: string;
  readonly home: string;
  readonly typicalAmount: number;
  readonly favourites: readonly string[];
  readonly weight: number;
  transactions: number;
}

/** A transaction waiting for its event time, without an id yet (ids follow emission order). */
type Pending = Omit<Transaction, "txId">;

const round2 = (x: number) => Math.round(x * 100) / 100;

/**
 * The seeded transactions, lazily and in event-time order: same seed, base time and options, same
 * transactions. Ordinary transactions arrive with exponential gaps; a scenario's transactions are
 * scheduled ahead and interleaved with them.
 */
export function* transactionSequence(seed: number, baseTimeMs: number, options: Partial<GeneratorOptions> = {}): Generator<Transaction> {
  const { cards: cardCount, fraudRate, meanGapMs } = { ...defaultOptions, ...options };
  const random = new SeededRandom(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - random.next())) * Math.cos(2 * Math.PI * random.next());
  const between = (min: number, max: number) => min + random.next() * (max - min);

  const cards: Card[] = [];
  for (let i = 1; i <= cardCount; i++) {
    const favourites = [random.pick(shops), random.pick(shops), random.pick(shops), random.pick(shops)];
    cards.push({ id: `card-${String(i).padStart(4, "0")}`, home: random.pick(countries), typicalAmount: random.pick(spendingProfiles), favourites, weight: random.pick(activity), transactions: 0 });
  }
  const byId = new Map(cards.map((c) => [c.id, c]));
  const totalWeight = cards.reduce((sum, c) => sum + c.weight, 0);
  const pickCard = () => {
    let r = random.next() * totalWeight;
    for (const card of cards) if ((r -= card.weight) < 0) return card;
    return cards[cards.length - 1]!;
  };
  /** An everyday amount for the card: its typical amount ± 40 %, never under 1.00. */
  const everyday = (card: Card) => Math.max(1, round2(card.typicalAmount * (1 + 0.4 * gauss())));

  const pending: Pending[] = [];
  const schedule = (tx: Pending) => {
    const at = Math.round(tx.at);
    let i = pending.length;
    while (i > 0 && pending[i - 1]!.at > at) i--;
    pending.splice(i, 0, { ...tx, at });
  };

  const scenarios: Record<Scenario, (start: number) => void> = {
    "card-testing": (start) => {
      const card = pickCard();
      const shop = random.pick(testingShops);
      let at = start;
      for (let n = random.int(3, 6); n > 0; n--) {
        at += between(15_000, 60_000);
        schedule({ card: card.id, merchant: shop, country: card.home, amount: round2(between(0.5, 4.99)), at });
      }
      at += between(30_000, 3 * MINUTE);
      schedule({ card: card.id, merchant: random.pick(cashOutShops), country: card.home, amount: round2(between(600, 2500)), at });
    },
    "country-hop": (start) => {
      const card = pickCard();
      const at = start + between(5_000, 60_000);
      schedule({ card: card.id, merchant: random.pick(card.favourites), country: card.home, amount: everyday(card), at });
      const abroad = random.pick(countries.filter((c) => c !== card.home));
      schedule({ card: card.id, merchant: random.pick(shops), country: abroad, amount: round2(everyday(card) * between(1, 3)), at: at + between(5 * MINUTE, 50 * MINUTE) });
    },
    "big-outlier": (start) => {
      // Only a card with history can be an outlier against it; early on, card testing stands in.
      const seasoned = cards.filter((c) => c.transactions >= 12);
      if (seasoned.length === 0) return scenarios["card-testing"](start);
      const card = random.pick(seasoned);
      schedule({ card: card.id, merchant: random.pick(cashOutShops), country: card.home, amount: round2(card.typicalAmount * between(8, 20)), at: start + between(5_000, 60_000) });
    },
  };
  const kinds = Object.keys(scenarios) as Scenario[];

  let seq = 0;
  let nextOrdinary = baseTimeMs;
  for (;;) {
    let tx: Pending;
    if (pending.length > 0 && pending[0]!.at <= nextOrdinary) {
      tx = pending.shift()!;
    } else {
      const card = pickCard();
      const merchant = random.chance(0.8) ? random.pick(card.favourites) : random.pick(shops);
      tx = { card: card.id, merchant, country: card.home, amount: everyday(card), at: nextOrdinary };
      if (random.chance(fraudRate)) scenarios[random.pick(kinds)](nextOrdinary);
      nextOrdinary += Math.round(-Math.log(1 - random.next()) * meanGapMs);
    }
    byId.get(tx.card)!.transactions++;
    yield { txId: `tx-${String(++seq).padStart(7, "0")}`, ...tx };
  }
}

export function transactions(count: number, seed: number, baseTimeMs: number = Date.now(), options: Partial<GeneratorOptions> = {}): Transaction[] {
  const out: Transaction[] = [];
  for (const tx of transactionSequence(seed, baseTimeMs, options)) {
    if (out.length === count) break;
    out.push(tx);
  }
  return out;
}

/** The transactions as records for the input topic: keyed by card, stamped with their event time. */
export function events(count: number, seed: number, baseTimeMs: number = Date.now(), options: Partial<GeneratorOptions> = {}): RecordToWrite[] {
  return transactions(count, seed, baseTimeMs, options).map(toRecord);
}

export function toRecord(tx: Transaction): RecordToWrite {
  return { key: tx.card, value: JSON.stringify(tx), timestamp: tx.at };
}

/**
 * Options of this generator besides the shared ones (--count, --rate, --seed, --topic):
 *   --cards N         how many cards (1000)
 *   --fraud-rate P    chance of a fraud scenario after each ordinary transaction (0.01)
 *   --speedup X       event time runs X times faster than the wall clock at --rate (30)
 *   --history-hours H event time starts H hours ago (6): the broker rejects records more than 1 h in its future
 */
function parseFraudArgs(argv: readonly string[]): { readonly shared: string[]; readonly cards: number; readonly fraudRate: number; readonly speedup: number; readonly historyHours: number } {
  const own: Record<string, number> = { cards: defaultOptions.cards, "fraud-rate": defaultOptions.fraudRate, speedup: 30, "history-hours": 6 };
  const shared: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const name = argv[i]!.replace(/^--/, "");
    if (!(name in own) || !argv[i]!.startsWith("--")) {
      shared.push(argv[i]!);
      continue;
    }
    const value = Number(argv[++i]);
    if (!Number.isFinite(value) || value < 0) throw new Error(`--${name} must be a number ≥ 0, got "${argv[i]}"`);
    own[name] = value;
  }
  return { shared, cards: own.cards!, fraudRate: own["fraud-rate"]!, speedup: own.speedup!, historyHours: own["history-hours"]! };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const own = parseFraudArgs(process.argv.slice(2));
  const options = parseGeneratorArgs(own.shared, defaultTopics.transactions);
  const now = Date.now();
  const meanGapMs = options.rate > 0 ? (own.speedup * 1000) / options.rate : defaultOptions.meanGapMs;
  const base = now - own.historyHours * 3_600_000;
  // The last record's event time against the wall clock when it is written (with 10 % slack for the random gaps).
  const lastEventTime = base + 1.1 * options.count * meanGapMs;
  const lastWriteTime = now + (options.rate > 0 ? (options.count / options.rate) * 1000 : 0);
  if (lastEventTime > lastWriteTime + 55 * MINUTE) {
    throw new Error(
      `--count ${options.count} at --speedup ${own.speedup} runs event time more than an hour past the wall clock, which the broker rejects: lower --count or --speedup, or raise --history-hours`,
    );
  }
  const sequence = transactionSequence(options.seed, base, { cards: own.cards, fraudRate: own.fraudRate, meanGapMs });
  await runGenerator(options, () => toRecord(sequence.next().value as Transaction));
}
