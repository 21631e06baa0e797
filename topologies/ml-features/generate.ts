// Seeded shop traffic: user profiles (most users have one) and browsing sessions that run a view → click →
// add-to-cart → purchase funnel, a few heavy users, and a share of events that arrive a little late.
import { fileURLToPath } from "node:url";
import { TopicWriter } from "../../src/kafka/tools.ts";
import { SeededRandom } from "../lib/random.ts";
import { parseGeneratorArgs, runGenerator } from "../lib/generator-cli.ts";
import { defaultTopics, type Profile, type UserEvent } from "./app.ts";

const countries = ["DE", "FR", "GB", "US", "US", "US", "BR", "IN", "JP", "NL"];
const tiers: Profile["tier"][] = ["free", "free", "free", "plus", "plus", "pro"];
const userCount = 300;
const itemCount = 400;

export const userIds = Array.from({ length: userCount }, (_, i) => `user-${String(i + 1).padStart(3, "0")}`);

/** Every user's profile except about one in twenty (their features join to a null profile). */
export function profiles(seed: number): { userId: string; profile: Profile }[] {
  const random = new SeededRandom(seed ^ 0x5eed);
  const out: { userId: string; profile: Profile }[] = [];
  for (const userId of userIds) {
    if (random.chance(0.05)) continue;
    const signup = new Date(Date.UTC(2022, 0, 1) + random.int(0, 1400) * 86_400_000).toISOString().slice(0, 10);
    out.push({ userId, profile: { country: random.pick(countries), signupDate: signup, tier: random.pick(tiers) } });
  }
  return out;
}

interface Session {
  readonly userId: string;
  item: string;
  readonly cart: string[];
}

/**
 * The seeded sequence of events from `baseTimeMs` on, `meanGapMs` apart on average, in arrival order: about
 * 3% carry a time up to 30 s before the previous event's (a phone that sent them late).
 */
export function* eventSequence(seed: number, baseTimeMs: number, meanGapMs = 500): Generator<UserEvent> {
  const random = new SeededRandom(seed);
  const price = (item: string) => (100 + ((Number(item.slice(5)) * 7919) % 19_900)) / 100;
  const pickItem = () => `item-${random.int(1, itemCount + 1)}`;
  // A fifth of the users make most of the sessions.
  const pickUser = () => (random.chance(0.6) ? userIds[random.int(0, userCount / 5)]! : random.pick(userIds));
  const sessions: Session[] = [];
  let now = baseTimeMs;
  for (;;) {
    now += Math.round(-Math.log(1 - random.next()) * meanGapMs);
    let session: Session;
    if (sessions.length < 3 || (sessions.length < 40 && random.chance(0.2))) {
      session = { userId: pickUser(), item: pickItem(), cart: [] };
      sessions.push(session);
    } else {
      session = random.pick(sessions);
    }
    const late = random.chance(0.03) ? random.int(1, 30_001) : 0;
    const event = (type: UserEvent["type"], itemId: string, amount: number): UserEvent => ({ userId: session.userId, type, itemId, amount, time: now - late });
    const roll = random.next();
    if (roll < 0.5) {
      session.item = pickItem();
      yield event("view", session.item, 0);
    } else if (roll < 0.75) {
      yield event("click", session.item, 0);
    } else if (roll < 0.9 || session.cart.length === 0) {
      session.cart.push(session.item);
      yield event("add_to_cart", session.item, price(session.item));
    } else {
      const item = session.cart.pop()!;
      const quantity = random.int(1, 4);
      yield event("purchase", item, Math.round(price(item) * quantity * 100) / 100);
    }
    if (random.chance(0.08)) sessions.splice(sessions.indexOf(session), 1);
  }
}

export function events(count: number, seed: number, baseTimeMs: number = Date.now(), meanGapMs?: number): UserEvent[] {
  const out: UserEvent[] = [];
  for (const event of eventSequence(seed, baseTimeMs, meanGapMs)) {
    if (out.length === count) break;
    out.push(event);
  }
  return out;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const options = parseGeneratorArgs(process.argv.slice(2), defaultTopics.events);
  // Profiles first, so that the first features already join to them.
  const writer = new TopicWriter({ brokers: options.brokers, clientId: "weir-generator" });
  await writer.connect();
  try {
    await writer.write(defaultTopics.profiles, profiles(options.seed).map((p) => ({ key: p.userId, value: JSON.stringify(p.profile) })));
  } finally {
    await writer.close();
  }
  // Event time follows the wall clock: the mean gap is the rate's.
  const sequence = eventSequence(options.seed, Date.now(), options.rate > 0 ? 1000 / options.rate : 1);
  await runGenerator(options, () => {
    const event = sequence.next().value as UserEvent;
    return { key: event.userId, value: JSON.stringify(event), timestamp: event.time };
  });
}
