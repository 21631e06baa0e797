// Driver tests of the ml-features example: exact feature vectors worked out by hand for small inputs, and a
// brute-force recount of every vector for a seeded input.
import { test } from "node:test";
import assert from "node:assert/strict";
import { serdes } from "weir-streams";
import { TopologyTestDriver } from "weir-streams/testing";
import { buildTopology, featureTable, type FeatureRow, type Profile, type UserEvent, type WindowFeatures } from "./app.ts";
import { events as generatedEvents } from "./generate.ts";

const topics = { events: "events", profiles: "profiles", features: "features" };
const M = 60_000;
const H = 60 * M;

function setup() {
  const driver = new TopologyTestDriver(buildTopology(topics), { applicationId: "ml-features-test" });
  const input = driver.createInputTopic(topics.events, serdes.string(), serdes.json<UserEvent>());
  const profiles = driver.createInputTopic(topics.profiles, serdes.string(), serdes.json<Profile>());
  const output = driver.createOutputTopic(topics.features, serdes.string(), serdes.json<FeatureRow>());
  const send = (userId: string, type: UserEvent["type"], itemId: string, amount: number, time: number) =>
    // The record's own timestamp is ignored: event time is the event's `time`.
    input.pipeInput(userId, { userId, type, itemId, amount, time }, 1);
  const read = () => output.readRecordsToList().map((r) => [r.key, r.timestamp, r.value] as const);
  return { driver, profiles, send, read };
}

/** A window's features, written out by hand in the expectations below. */
function w(events: number, views: number, clicks: number, addToCarts: number, purchases: number, purchaseAmount: number, distinctItems: number): WindowFeatures {
  return { events, views, clicks, addToCarts, purchases, purchaseAmount, distinctItems };
}
const none = w(0, 0, 0, 0, 0, 0, 0);

function row(
  userId: string,
  asOf: number,
  lastEventAt: number,
  msSincePreviousEvent: number | null,
  [last5m, last1h, last24h]: readonly [WindowFeatures, WindowFeatures, WindowFeatures],
  profile: Profile | null = null,
  accountAgeDays: number | null = null,
): FeatureRow {
  return { userId, asOf, lastEventAt, msSincePreviousEvent, last5m, last1h, last24h, profile, accountAgeDays };
}
const all3 = (x: WindowFeatures) => [x, x, x] as const;

test("each event updates the user's counts, purchase sum and distinct items over 5 min, 1 h and 24 h, and the table holds the latest row", () => {
  const { driver, send, read } = setup();
  send("a", "view", "item-1", 0, 10 * M);
  send("a", "add_to_cart", "item-1", 20, 12 * M);
  send("a", "purchase", "item-2", 19.99, 14 * M);
  const last = row("a", 14 * M, 14 * M, 2 * M, all3(w(3, 1, 0, 1, 1, 19.99, 2)));
  assert.deepEqual(read(), [
    ["a", 10 * M, row("a", 10 * M, 10 * M, null, all3(w(1, 1, 0, 0, 0, 0, 1)))],
    ["a", 12 * M, row("a", 12 * M, 12 * M, 2 * M, all3(w(2, 1, 0, 1, 0, 0, 1)))],
    ["a", 14 * M, last],
  ]);
  assert.deepEqual(driver.getKeyValueStore(featureTable).get("a"), last);
  driver.close();
});

test("an event leaves a window exactly its width after its time: the user's expiry timer emits the features without it", () => {
  const { driver, send, read } = setup();
  send("a", "view", "item-1", 0, 10 * M);
  send("a", "add_to_cart", "item-1", 20, 12 * M);
  send("a", "purchase", "item-2", 19.99, 14 * M);
  read();
  send("b", "view", "item-5", 0, 16 * M); // stream time 16 min: a's 10-min view left the 5-min window at 15 min
  send("b", "click", "item-5", 0, 30 * M); // and its add to cart at 17 min, its purchase at 19 min
  assert.deepEqual(read(), [
    ["b", 16 * M, row("b", 16 * M, 16 * M, null, all3(w(1, 1, 0, 0, 0, 0, 1)))],
    ["a", 15 * M, row("a", 15 * M, 14 * M, 2 * M, [w(2, 0, 0, 1, 1, 19.99, 2), w(3, 1, 0, 1, 1, 19.99, 2), w(3, 1, 0, 1, 1, 19.99, 2)])],
    ["b", 30 * M, row("b", 30 * M, 30 * M, 14 * M, [w(1, 0, 1, 0, 0, 0, 1), w(2, 1, 1, 0, 0, 0, 1), w(2, 1, 1, 0, 0, 0, 1)])],
    ["a", 17 * M, row("a", 17 * M, 14 * M, 2 * M, [w(1, 0, 0, 0, 1, 19.99, 1), w(3, 1, 0, 1, 1, 19.99, 2), w(3, 1, 0, 1, 1, 19.99, 2)])],
    ["a", 19 * M, row("a", 19 * M, 14 * M, 2 * M, [none, w(3, 1, 0, 1, 1, 19.99, 2), w(3, 1, 0, 1, 1, 19.99, 2)])],
  ]);
  assert.deepEqual(driver.getKeyValueStore(featureTable).get("a"), row("a", 19 * M, 14 * M, 2 * M, [none, w(3, 1, 0, 1, 1, 19.99, 2), w(3, 1, 0, 1, 1, 19.99, 2)]));
  driver.close();
});

test("the 1 h and 24 h windows expire too, and a user's kept events are deleted once they leave the 24 h window", () => {
  const { driver, send, read } = setup();
  send("c", "purchase", "item-9", 5, 1 * H);
  send("d", "view", "item-1", 0, 26 * H);
  const bought = w(1, 0, 0, 0, 1, 5, 1);
  assert.deepEqual(read(), [
    ["c", 1 * H, row("c", 1 * H, 1 * H, null, all3(bought))],
    ["d", 26 * H, row("d", 26 * H, 26 * H, null, all3(w(1, 1, 0, 0, 0, 0, 1)))],
    ["c", 1 * H + 5 * M, row("c", 1 * H + 5 * M, 1 * H, null, [none, bought, bought])],
    ["c", 2 * H, row("c", 2 * H, 1 * H, null, [none, none, bought])],
    ["c", 25 * H, row("c", 25 * H, 1 * H, null, [none, none, none])],
  ]);
  assert.deepEqual([...driver.getKeyValueStore("ml-features-events").all()].map(([k]) => k), [["d", "000000093600000", "0000000000"].join("\0")]);
  assert.deepEqual([...driver.getKeyValueStore("ml-features-items").all()].map(([k]) => k), ["d\0last1h\0item-1", "d\0last24h\0item-1", "d\0last5m\0item-1"]);
  driver.close();
});

test("a late event counts in the windows it falls in, measured at the user's latest time, and may become the previous event", () => {
  const { driver, send, read } = setup();
  send("e", "view", "item-1", 0, 10 * M);
  send("e", "view", "item-2", 0, 20 * M);
  send("e", "click", "item-2", 0, 18 * M); // late, within 5 min of 20 min: between the two latest events
  send("e", "view", "item-3", 0, 15 * M); // late, exactly 5 min old: outside (15 min, 20 min], only in the 1 h and 24 h windows
  assert.deepEqual(read(), [
    ["e", 10 * M, row("e", 10 * M, 10 * M, null, all3(w(1, 1, 0, 0, 0, 0, 1)))],
    ["e", 20 * M, row("e", 20 * M, 20 * M, 10 * M, [w(1, 1, 0, 0, 0, 0, 1), w(2, 2, 0, 0, 0, 0, 2), w(2, 2, 0, 0, 0, 0, 2)])],
    ["e", 20 * M, row("e", 20 * M, 20 * M, 2 * M, [w(2, 1, 1, 0, 0, 0, 1), w(3, 2, 1, 0, 0, 0, 2), w(3, 2, 1, 0, 0, 0, 2)])],
    ["e", 20 * M, row("e", 20 * M, 20 * M, 2 * M, [w(2, 1, 1, 0, 0, 0, 1), w(4, 3, 1, 0, 0, 0, 3), w(4, 3, 1, 0, 0, 0, 3)])],
  ]);
  driver.close();
});

test("an event 24 h or more older than the user's latest, and an event of unknown type, are dropped", () => {
  const { driver, send, read } = setup();
  send("f", "view", "item-1", 0, 25 * H);
  send("f", "view", "item-2", 0, 1 * H); // exactly 24 h before: outside (25 h − 24 h, 25 h]
  send("f", "refund" as UserEvent["type"], "item-1", 3, 25 * H);
  assert.deepEqual(read(), [["f", 25 * H, row("f", 25 * H, 25 * H, null, all3(w(1, 1, 0, 0, 0, 0, 1)))]]);
  driver.close();
});

test("an item counts once per window however often it occurs, until its last event leaves; users' items are apart", () => {
  const { driver, send, read } = setup();
  send("g", "view", "item-1", 0, 1 * M);
  send("g", "click", "item-1", 0, 3 * M);
  send("g", "view", "item-2", 0, 4 * M);
  send("h", "view", "item-1", 0, 7 * M); // g's 1-min view leaves at 6 min, but g's click keeps item-1
  send("h", "view", "item-1", 0, 9 * M); // g's click leaves at 8 min (item-1 is gone from g's 5 min), its item-2 view at 9 min
  const hour = w(3, 2, 1, 0, 0, 0, 2);
  assert.deepEqual(read(), [
    ["g", 1 * M, row("g", 1 * M, 1 * M, null, all3(w(1, 1, 0, 0, 0, 0, 1)))],
    ["g", 3 * M, row("g", 3 * M, 3 * M, 2 * M, all3(w(2, 1, 1, 0, 0, 0, 1)))],
    ["g", 4 * M, row("g", 4 * M, 4 * M, 1 * M, all3(hour))],
    ["h", 7 * M, row("h", 7 * M, 7 * M, null, all3(w(1, 1, 0, 0, 0, 0, 1)))],
    ["g", 6 * M, row("g", 6 * M, 4 * M, 1 * M, [w(2, 1, 1, 0, 0, 0, 2), hour, hour])],
    ["h", 9 * M, row("h", 9 * M, 9 * M, 2 * M, all3(w(2, 2, 0, 0, 0, 0, 1)))],
    ["g", 8 * M, row("g", 8 * M, 4 * M, 1 * M, [w(1, 1, 0, 0, 0, 0, 1), hour, hour])],
    ["g", 9 * M, row("g", 9 * M, 4 * M, 1 * M, [none, hour, hour])],
  ]);
  driver.close();
});

test("rows join the user's profile as it is when they are emitted, with the account age at asOf; a user without one gets null", () => {
  const { driver, profiles, send, read } = setup();
  const D = 24 * H;
  const t = 2 * D + 3 * H;
  profiles.pipeInput("p", { country: "DE", signupDate: "1970-01-01", tier: "pro" });
  send("p", "view", "item-1", 0, t);
  send("q", "view", "item-1", 0, t);
  profiles.pipeInput("p", { country: "DE", signupDate: "1970-01-01", tier: "plus" });
  send("q", "view", "item-1", 0, t + 6 * M); // p's view leaves its 5 min window at t + 5 min
  const viewed = w(1, 1, 0, 0, 0, 0, 1);
  assert.deepEqual(read(), [
    ["p", t, row("p", t, t, null, all3(viewed), { country: "DE", signupDate: "1970-01-01", tier: "pro" }, 2)],
    ["q", t, row("q", t, t, null, all3(viewed))],
    ["q", t + 6 * M, row("q", t + 6 * M, t + 6 * M, 6 * M, [viewed, w(2, 2, 0, 0, 0, 0, 1), w(2, 2, 0, 0, 0, 0, 1)])],
    ["p", t + 5 * M, row("p", t + 5 * M, t, null, [none, viewed, viewed], { country: "DE", signupDate: "1970-01-01", tier: "plus" }, 2)],
  ]);
  driver.close();
});

test("every vector of a seeded run equals a recount of the user's events in (asOf − width, asOf]", () => {
  const { driver, send, read } = setup();
  // 10 s apart on average: about 4 h of events, so events leave the 5 min and the 1 h windows.
  const input = generatedEvents(1500, 3, 10 * H, 10_000);
  assert.ok(input.some((e, i) => i > 0 && e.time < input[i - 1]!.time), "the input has late events");
  const seen = new Map<string, UserEvent[]>();
  let checked = 0;
  for (const event of input) {
    send(event.userId, event.type, event.itemId, event.amount, event.time);
    (seen.get(event.userId) ?? seen.set(event.userId, []).get(event.userId)!).push(event);
    for (const [user, timestamp, value] of read()) {
      const vector = value!;
      const mine = seen.get(user!)!;
      const times = mine.map((e) => e.time).sort((x, y) => y - x);
      const recount = (width: number) => {
        const inside = mine.filter((e) => e.time > vector.asOf - width && e.time <= vector.asOf);
        const n = (type: string) => inside.filter((e) => e.type === type).length;
        const cents = inside.filter((e) => e.type === "purchase").reduce((s, e) => s + Math.round(e.amount * 100), 0);
        return w(inside.length, n("view"), n("click"), n("add_to_cart"), n("purchase"), cents / 100, new Set(inside.map((e) => e.itemId)).size);
      };
      assert.equal(timestamp, vector.asOf);
      assert.deepEqual(vector, row(user!, vector.asOf, times[0]!, times.length > 1 ? times[0]! - times[1]! : null, [recount(5 * M), recount(H), recount(24 * H)]));
      checked++;
    }
  }
  assert.ok(checked > 2 * input.length, `expiry timers emit beside the events (${checked} vectors)`);
  driver.close();
});
