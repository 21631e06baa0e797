// Seeded input for the count-and-sum app (integration-tests/apps/count-and-sum.ts): keys `k-<n>`, small
// integer amounts so that every sum is exact, and per key the amounts in the order they were written.
import { TopicWriter, type RecordToWrite } from "../../src/kafka/tools.ts";
import { connection } from "./cluster.ts";
import { SeededRandom } from "../../topologies/lib/random.ts";

export interface Payment {
  readonly key: string;
  readonly amount: number;
}

export interface PaymentOptions {
  readonly count: number;
  /** Keys `k-0` … `k-<keys - 1>`. */
  readonly keys: number;
  /** The first `keys` records name each key once, so that every key has input. Default true. */
  readonly everyKey?: boolean;
  readonly seed: number;
  /**
   * Share of the records (after those naming every key once) that go to the 1 % of keys with the lowest numbers, so some
   * keys see hundreds of updates (long count sequences, many updates per commit). Default 0.2.
   */
  readonly hotShare?: number;
}

/** The same options give the same payments. Amounts are 1 … 100. */
export function payments(options: PaymentOptions): Payment[] {
  const random = new SeededRandom(options.seed);
  const hotKeys = Math.max(1, Math.floor(options.keys / 100));
  const hotShare = options.hotShare ?? 0.2;
  const covered = options.everyKey === false ? 0 : options.keys;
  const out: Payment[] = [];
  for (let i = 0; i < options.count; i++) {
    const n = i < covered ? i : random.chance(hotShare) ? random.int(0, hotKeys) : random.int(0, options.keys);
    out.push({ key: `k-${n}`, amount: random.int(1, 101) });
  }
  return out;
}

/** Per key, its amounts in input order (all records of a key go to one partition, so this is their processing order). */
export function amountsByKey(input: Iterable<Payment>, into = new Map<string, number[]>()): Map<string, number[]> {
  for (const p of input) {
    const amounts = into.get(p.key);
    if (amounts) amounts.push(p.amount);
    else into.set(p.key, [p.amount]);
  }
  return into;
}

/** The records as the app reads them: key = the payment's key, value = `{"amount":n}`. */
export function paymentRecords(input: readonly Payment[]): RecordToWrite[] {
  return input.map((p) => ({ key: p.key, value: JSON.stringify({ amount: p.amount }) }));
}

/** Writes the payments to `topic` on the test broker. */
export async function writePayments(topic: string, input: readonly Payment[]): Promise<void> {
  const writer = new TopicWriter(connection());
  await writer.connect();
  try {
    await writer.write(topic, paymentRecords(input));
  } finally {
    await writer.close();
  }
}
