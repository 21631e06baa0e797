// Seeded clickstream generator: 300 users who come back every half hour to a few hours for a burst of
// clicks (a few seconds to minutes apart, now and then a pause of several minutes), browse a shop, and
// sometimes buy. Some clicks arrive a few seconds late (always within the minute windows' grace), a few
// some minutes late (past it, within the sessions' grace).
import { fileURLToPath } from "node:url";
import { parseGeneratorArgs, runGenerator } from "../lib/generator-cli.ts";
import { SeededRandom } from "../lib/random.ts";
import { topics, type Action, type Click } from "./app.ts";

export interface ClickRecord {
  readonly key: string;
  readonly value: Click;
  /** Event time, epoch ms. */
  readonly timestamp: number;
}

const USERS = 300;
const SECOND = 1000;
const MINUTE = 60 * SECOND;
const categories = ["/category/shoes", "/category/jackets", "/category/bags", "/category/sale"];
const articles = ["/blog/sizing-guide", "/blog/autumn-lookbook", "/help/returns", "/help/shipping"];
const landings = ["/", "/", "/", "/search", ...categories, articles[0]!, articles[1]!];

interface Visit {
  clicksLeft: number;
  readonly buyer: boolean;
  page: string;
  product: string | null;
  /** A buyer's way to the purchase: 0 browsing, 1 in the cart, 2 at checkout. */
  funnel: number;
}

interface User {
  readonly id: string;
  /** Simulated time of the user's next click, ms after the start. */
  nextAt: number;
  visit: Visit | null;
}

/** The next page and action of a visit: browsing, and for a buyer the way through cart and checkout. */
function nextClick(random: SeededRandom, visit: Visit, first: boolean): { page: string; action: Action } {
  if (first) return { page: visit.page, action: visit.page === "/search" ? "search" : "view" };
  // A buyer's last three clicks: the product into the cart, checkout, purchase.
  if (visit.buyer && visit.product !== null && visit.clicksLeft <= 3) {
    visit.funnel++;
    if (visit.funnel === 1) {
      visit.clicksLeft = 3;
      return { page: visit.product, action: "add_to_cart" };
    }
    return visit.funnel === 2 ? { page: "/checkout", action: "checkout" } : { page: "/checkout", action: "purchase" };
  }
  const roll = random.next();
  if (roll < 0.45) {
    visit.product = `/products/${random.int(1, 41)}`;
    return { page: visit.product, action: "view" };
  }
  if (roll < 0.65) return { page: random.pick(categories), action: "view" };
  if (roll < 0.78) return { page: "/search", action: "search" };
  if (roll < 0.85 && visit.product !== null) return { page: visit.product, action: "add_to_cart" };
  if (roll < 0.92) return { page: "/cart", action: "view" };
  return { page: random.pick(articles), action: "view" };
}

/** `count` clicks in the order they are written, timestamps from `baseTimeMs` on: same seed, same clicks. */
export function events(count: number, seed: number, baseTimeMs: number): ClickRecord[] {
  const random = new SeededRandom(seed);
  const users: User[] = [];
  for (let i = 1; i <= USERS; i++) users.push({ id: `user-${String(i).padStart(3, "0")}`, nextAt: random.int(0, 90 * MINUTE), visit: null });
  const out: ClickRecord[] = [];
  while (out.length < count) {
    let user = users[0]!;
    for (const u of users) if (u.nextAt < user.nextAt) user = u;
    const first = user.visit === null;
    const visit: Visit = user.visit ?? { clicksLeft: random.int(2, 16), buyer: random.chance(0.3), page: random.pick(landings), product: null, funnel: 0 };
    user.visit = visit;
    const click = nextClick(random, visit, first);
    visit.page = click.page;
    visit.clicksLeft--;
    // Mobile clients batch their clicks: most arrive at once, some seconds late, a few minutes late.
    const roll = random.next();
    const delay = roll < 0.005 ? random.int(MINUTE, 4 * MINUTE) : roll < 0.055 ? random.int(SECOND, 8 * SECOND) : 0;
    out.push({ key: user.id, value: { userId: user.id, page: click.page, action: click.action }, timestamp: baseTimeMs + Math.max(0, user.nextAt - delay) });
    if (visit.clicksLeft > 0) {
      // Reading a page takes seconds to minutes; now and then the user steps away, less than the session gap.
      user.nextAt += random.chance(0.08) ? random.int(5 * MINUTE, 20 * MINUTE) : random.int(5 * SECOND, 150 * SECOND);
    } else {
      user.visit = null;
      user.nextAt += random.int(35 * MINUTE, 240 * MINUTE);
    }
  }
  return out;
}

/** A start time that puts the last of `count` clicks a minute before now: recent, and never in the future. */
export function baseTimeEndingNow(count: number, seed: number, nowMs = Date.now()): number {
  const last = events(count, seed, 0).reduce((max, e) => Math.max(max, e.timestamp), 0);
  return nowMs - MINUTE - last;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const options = parseGeneratorArgs(process.argv.slice(2), topics.clicks);
  const clicks = events(options.count, options.seed, baseTimeEndingNow(options.count, options.seed));
  await runGenerator(options, (i) => {
    const click = clicks[i]!;
    return { key: click.key, value: JSON.stringify(click.value), timestamp: click.timestamp };
  });
}
