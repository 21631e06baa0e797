// Seeded order generator for a coffee-gear shop: about 18 orders a minute across 12 products and 5 regions,
// cheap consumables ordered most and in larger quantities, and now and then a 3-minute flash sale that
// multiplies one product's demand. Some orders arrive a few seconds late (within the windows' grace), a
// few up to a minute and a half late (past the 1-minute windows' close, within some 5-minute windows).
import { fileURLToPath } from "node:url";
import { parseGeneratorArgs, runGenerator } from "../lib/generator-cli.ts";
import { SeededRandom } from "../lib/random.ts";
import { topics, type Order } from "./app.ts";

export interface OrderRecord {
  readonly key: string;
  readonly value: Order;
  /** Event time, epoch ms. */
  readonly timestamp: number;
}

interface Product {
  readonly name: string;
  readonly unitPrice: number;
  readonly weight: number;
  readonly maxQuantity: number;
}

const catalog: readonly Product[] = [
  { name: "espresso-machine", unitPrice: 249.0, weight: 1, maxQuantity: 1 },
  { name: "grinder", unitPrice: 89.5, weight: 2, maxQuantity: 1 },
  { name: "kettle", unitPrice: 39.99, weight: 3, maxQuantity: 2 },
  { name: "cold-brew-kit", unitPrice: 34.0, weight: 2, maxQuantity: 2 },
  { name: "scale", unitPrice: 29.95, weight: 2, maxQuantity: 1 },
  { name: "beans-1kg", unitPrice: 24.9, weight: 8, maxQuantity: 6 },
  { name: "tamper", unitPrice: 19.0, weight: 2, maxQuantity: 1 },
  { name: "travel-cup", unitPrice: 17.5, weight: 4, maxQuantity: 3 },
  { name: "milk-jug", unitPrice: 14.5, weight: 3, maxQuantity: 2 },
  { name: "mug", unitPrice: 12.0, weight: 6, maxQuantity: 6 },
  { name: "descaler", unitPrice: 9.99, weight: 3, maxQuantity: 4 },
  { name: "filters", unitPrice: 4.8, weight: 5, maxQuantity: 10 },
];
const regions: readonly { readonly name: string; readonly weight: number }[] = [
  { name: "eu-west", weight: 4 },
  { name: "us-east", weight: 4 },
  { name: "us-west", weight: 3 },
  { name: "apac", weight: 2 },
  { name: "latam", weight: 1 },
];

const SECOND = 1000;
const MINUTE = 60 * SECOND;

function weighted<T>(random: SeededRandom, items: readonly T[], weight: (item: T) => number): T {
  let roll = random.next() * items.reduce((sum, item) => sum + weight(item), 0);
  for (const item of items) {
    roll -= weight(item);
    if (roll < 0) return item;
  }
  return items[items.length - 1]!;
}

/** `count` orders in the order they are written, timestamps from `baseTimeMs` on: same seed, same orders. */
export function events(count: number, seed: number, baseTimeMs: number): OrderRecord[] {
  const random = new SeededRandom(seed);
  const out: OrderRecord[] = [];
  let now = 0;
  let sale: { product: string; until: number } | null = null;
  let nextSale = random.int(5 * MINUTE, 25 * MINUTE);
  for (let i = 1; i <= count; i++) {
    now += random.int(500, 6 * SECOND);
    if (now >= nextSale) {
      sale = { product: random.pick(catalog).name, until: now + 3 * MINUTE };
      nextSale = now + random.int(15 * MINUTE, 40 * MINUTE);
    }
    if (sale && now >= sale.until) sale = null;
    const product = weighted(random, catalog, (p) => (p.name === sale?.product ? p.weight * 5 : p.weight));
    const region = weighted(random, regions, (r) => r.weight).name;
    const quantity = random.chance(0.6) ? 1 : random.int(1, product.maxQuantity + 1);
    const roll = random.next();
    const delay = roll < 0.005 ? random.int(30 * SECOND, 90 * SECOND) : roll < 0.055 ? random.int(SECOND, 8 * SECOND) : 0;
    const orderId = `o-${String(i).padStart(6, "0")}`;
    out.push({ key: orderId, value: { orderId, product: product.name, region, quantity, unitPrice: product.unitPrice }, timestamp: baseTimeMs + Math.max(0, now - delay) });
  }
  return out;
}

/** A start time that puts the last of `count` orders a minute before now: recent, and never in the future. */
export function baseTimeEndingNow(count: number, seed: number, nowMs = Date.now()): number {
  const last = events(count, seed, 0).reduce((max, e) => Math.max(max, e.timestamp), 0);
  return nowMs - MINUTE - last;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const options = parseGeneratorArgs(process.argv.slice(2), topics.orders);
  const orders = events(options.count, options.seed, baseTimeEndingNow(options.count, options.seed));
  await runGenerator(options, (i) => {
    const order = orders[i]!;
    return { key: order.key, value: JSON.stringify(order.value), timestamp: order.timestamp };
  });
}
