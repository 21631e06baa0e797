// Driver tests of the conversations example: hand-written chat events, and every output worked out by hand.
// Prices (µUSD per token, in / out): orion-large 10 / 30, orion-mini 0.5 / 1.5, lyra-pro 3 / 15, lyra-flash 0.25 / 1.
import { test } from "node:test";
import assert from "node:assert/strict";
import { stores } from "./app.ts";
import { conversationsDriver, reply, user } from "./test-events.ts";

test("conversation stats: one update per event with turns, tokens, cost, latency percentiles and feedback", () => {
  const t = conversationsDriver();
  t.send(
    user("c1", 1, "orion-mini", 1000),
    reply("c1", 2, "orion-mini", 3000, { tokensIn: 301, tokensOut: 121, latencyMs: 2000, feedback: "up" }),
    user("c1", 3, "orion-mini", 20_000),
    reply("c1", 4, "orion-mini", 20_800, { tokensIn: 0, tokensOut: 0, latencyMs: 800, error: "rate_limited", feedback: "down" }),
    user("c1", 5, "orion-mini", 30_000),
    reply("c1", 6, "orion-mini", 31_200, { tokensIn: 500, tokensOut: 201, latencyMs: 1200 }),
  );
  const base = { conversationId: "c1", model: "orion-mini", firstEventMs: 1000 };
  // Turn 2: 301 · 0.5 + 121 · 1.5 = 332 µUSD. Turn 6: 500 · 0.5 + 201 · 1.5 = 551.5 → 552 (half up). p50/p95 nearest rank.
  const last = {
    ...base, turns: 6, userTurns: 3, assistantTurns: 3, errors: 1, tokensIn: 801, tokensOut: 322, costMicroUsd: 884,
    recentLatenciesMs: [2000, 800, 1200], latencyP50Ms: 1200, latencyP95Ms: 2000, thumbsUp: 1, thumbsDown: 1, lastEventMs: 31_200,
  };
  assert.deepEqual(t.stats.read(), [
    { key: "c1", timestamp: 1000, value: {
      ...base, turns: 1, userTurns: 1, assistantTurns: 0, errors: 0, tokensIn: 0, tokensOut: 0, costMicroUsd: 0,
      recentLatenciesMs: [], latencyP50Ms: null, latencyP95Ms: null, thumbsUp: 0, thumbsDown: 0, lastEventMs: 1000 } },
    { key: "c1", timestamp: 3000, value: {
      ...base, turns: 2, userTurns: 1, assistantTurns: 1, errors: 0, tokensIn: 301, tokensOut: 121, costMicroUsd: 332,
      recentLatenciesMs: [2000], latencyP50Ms: 2000, latencyP95Ms: 2000, thumbsUp: 1, thumbsDown: 0, lastEventMs: 3000 } },
    { key: "c1", timestamp: 20_000, value: {
      ...base, turns: 3, userTurns: 2, assistantTurns: 1, errors: 0, tokensIn: 301, tokensOut: 121, costMicroUsd: 332,
      recentLatenciesMs: [2000], latencyP50Ms: 2000, latencyP95Ms: 2000, thumbsUp: 1, thumbsDown: 0, lastEventMs: 20_000 } },
    { key: "c1", timestamp: 20_800, value: {
      ...base, turns: 4, userTurns: 2, assistantTurns: 2, errors: 1, tokensIn: 301, tokensOut: 121, costMicroUsd: 332,
      recentLatenciesMs: [2000, 800], latencyP50Ms: 800, latencyP95Ms: 2000, thumbsUp: 1, thumbsDown: 1, lastEventMs: 20_800 } },
    { key: "c1", timestamp: 30_000, value: {
      ...base, turns: 5, userTurns: 3, assistantTurns: 2, errors: 1, tokensIn: 301, tokensOut: 121, costMicroUsd: 332,
      recentLatenciesMs: [2000, 800], latencyP50Ms: 800, latencyP95Ms: 2000, thumbsUp: 1, thumbsDown: 1, lastEventMs: 30_000 } },
    { key: "c1", timestamp: 31_200, value: last },
  ]);
  assert.deepEqual(t.driver.getKeyValueStore(stores.stats).get("c1"), last, "the table holds the latest stats");
  assert.deepEqual(t.abandoned.read(), [], "every user turn was answered");
  t.driver.close();
});

test("conversation stats: percentiles over the last 50 assistant latencies only", () => {
  const t = conversationsDriver();
  // Latencies 10, 20, …, 510 ms: the first (10) falls out of the window, leaving 20 … 510.
  for (let i = 1; i <= 51; i++) t.send(reply("long", i, "unknown-model", i * 1000, { tokensIn: 1000, tokensOut: 1000, latencyMs: i * 10 }));
  const updates = t.stats.read();
  assert.equal(updates.length, 51);
  const final = updates[50]!.value!;
  assert.equal(final.recentLatenciesMs.length, 50);
  assert.equal(final.recentLatenciesMs[0], 20);
  assert.equal(final.recentLatenciesMs[49], 510);
  assert.equal(final.latencyP50Ms, 260, "25th of 50: 20 + 24 · 10");
  assert.equal(final.latencyP95Ms, 490, "48th of 50 (⌈47.5⌉): 20 + 47 · 10");
  assert.equal(final.costMicroUsd, 0, "a model missing from the price table costs nothing");
  assert.equal(final.tokensIn, 51_000);
  t.driver.close();
});

test("abandoned: no reply within 2 minutes, once per episode; a late reply changes nothing; a resumed conversation can be abandoned again", () => {
  const t = conversationsDriver();
  t.send(
    user("c2", 1, "lyra-pro", 0),
    user("c3", 1, "orion-mini", 60_000),
    reply("c3", 2, "orion-mini", 61_000, { tokensIn: 10, tokensOut: 10, latencyMs: 1000 }),
    user("c3", 3, "orion-mini", 119_999),
  );
  assert.deepEqual(t.abandoned.read(), [], "stream time 119 999: c2's reply is not due yet");
  t.send(reply("c3", 4, "orion-mini", 120_000, { tokensIn: 10, tokensOut: 10, latencyMs: 1 }));
  const c2First = { conversationId: "c2", reason: "no-reply", unansweredSinceMs: 0, lastEventMs: 0, lastUserTurn: 1, model: "lyra-pro", abandonedAtMs: 120_000 };
  assert.deepEqual(t.abandoned.read(), [{ key: "c2", value: c2First, timestamp: 120_000 }]);
  assert.equal(t.driver.getKeyValueStore(stores.watches).get("c2"), undefined, "the episode's watch is gone");

  t.send(
    reply("c2", 2, "lyra-pro", 150_000, { tokensIn: 400, tokensOut: 300, latencyMs: 150_000 }),
    user("c3", 5, "orion-mini", 700_000),
    reply("c3", 6, "orion-mini", 700_500, { tokensIn: 10, tokensOut: 10, latencyMs: 500 }),
  );
  assert.deepEqual(t.abandoned.read(), [], "c2's idle timer (600 000) went with its episode");

  t.send(user("c2", 3, "lyra-pro", 800_000), user("c3", 7, "orion-mini", 920_000));
  assert.deepEqual(t.abandoned.read(), [
    { key: "c2", timestamp: 920_000, value: { conversationId: "c2", reason: "no-reply", unansweredSinceMs: 800_000, lastEventMs: 800_000, lastUserTurn: 3, model: "lyra-pro", abandonedAtMs: 920_000 } },
  ]);
  t.driver.close();
});

test("abandoned: a failed reply then 10 minutes of silence is idle; a retry or a follow-up waits 2 minutes from the first unanswered turn", () => {
  const t = conversationsDriver();
  t.send(
    user("d1", 1, "orion-large", 0),
    reply("d1", 2, "orion-large", 5000, { tokensIn: 0, tokensOut: 0, latencyMs: 5000, error: "server_error" }),
    user("d2", 1, "lyra-flash", 10_000),
    reply("d2", 2, "lyra-flash", 11_000, { tokensIn: 0, tokensOut: 0, latencyMs: 1000, error: "rate_limited" }),
    user("d2", 3, "lyra-flash", 20_000), // the retry: a reply is due by 140 000
    user("d3", 1, "orion-mini", 30_000), // a reply is due by 150 000 …
    user("d3", 2, "orion-mini", 120_000), // … and a follow-up does not move it
  );
  assert.deepEqual(t.abandoned.read(), []);
  t.send(user("d9", 1, "orion-mini", 150_000));
  assert.deepEqual(t.abandoned.read(), [
    { key: "d2", timestamp: 140_000, value: { conversationId: "d2", reason: "no-reply", unansweredSinceMs: 10_000, lastEventMs: 20_000, lastUserTurn: 3, model: "lyra-flash", abandonedAtMs: 140_000 } },
    { key: "d3", timestamp: 150_000, value: { conversationId: "d3", reason: "no-reply", unansweredSinceMs: 30_000, lastEventMs: 120_000, lastUserTurn: 2, model: "orion-mini", abandonedAtMs: 150_000 } },
  ]);
  t.send(
    reply("d9", 2, "orion-mini", 150_500, { tokensIn: 10, tokensOut: 10, latencyMs: 500 }),
    user("d9", 3, "orion-mini", 604_999),
  );
  assert.deepEqual(t.abandoned.read(), [], "d1's idle timer is due at 5 000 + 600 000");
  t.send(reply("d9", 4, "orion-mini", 605_000, { tokensIn: 10, tokensOut: 10, latencyMs: 1 }));
  assert.deepEqual(t.abandoned.read(), [
    { key: "d1", timestamp: 605_000, value: { conversationId: "d1", reason: "idle", unansweredSinceMs: 0, lastEventMs: 5000, lastUserTurn: 1, model: "orion-large", abandonedAtMs: 605_000 } },
  ]);
  t.send(user("d9", 5, "orion-mini", 2_000_000));
  assert.deepEqual(t.abandoned.read(), [], "each episode ends once: no second record for d1, d2 or d3");
  t.driver.close();
});

test("abandoned: a late user turn whose reply deadline stream time has passed is abandoned right after it", () => {
  const t = conversationsDriver();
  t.send(user("e1", 1, "lyra-pro", 500_000), reply("e1", 2, "lyra-pro", 500_100, { tokensIn: 10, tokensOut: 10, latencyMs: 100 }));
  t.send(user("e2", 1, "orion-mini", 100_000));
  assert.deepEqual(t.abandoned.read(), [
    { key: "e2", timestamp: 220_000, value: { conversationId: "e2", reason: "no-reply", unansweredSinceMs: 100_000, lastEventMs: 100_000, lastUserTurn: 1, model: "orion-mini", abandonedAtMs: 220_000 } },
  ]);
  t.driver.close();
});

test("per-model minutes: assistant turns re-keyed by model, one final record per closed minute, late records within grace counted, later ones dropped", () => {
  const t = conversationsDriver();
  t.send(
    user("m-a", 1, "orion-large", 7000), // user turns are not requests
    reply("m-a", 2, "orion-large", 10_000, { tokensIn: 100, tokensOut: 50, latencyMs: 3000 }), // 2 500 µUSD
    reply("m-b", 2, "orion-large", 20_000, { tokensIn: 200, tokensOut: 100, latencyMs: 5000, feedback: "down" }), // 5 000
    reply("m-c", 2, "orion-large", 30_000, { tokensIn: 0, tokensOut: 0, latencyMs: 700, error: "server_error" }),
    reply("m-d", 2, "lyra-flash", 40_000, { tokensIn: 400, tokensOut: 300, latencyMs: 200, feedback: "up" }), // 400
    reply("m-e", 2, "orion-large", 65_000, { tokensIn: 10, tokensOut: 10, latencyMs: 1000 }), // 400, next minute
    reply("m-f", 2, "orion-large", 59_000, { tokensIn: 20, tokensOut: 0, latencyMs: 100, feedback: "up" }), // 200, late but within grace
  );
  assert.deepEqual(t.minutes.read(), [], "minute [0, 60 000) closes at stream time 70 000");
  t.send(reply("m-g", 2, "lyra-flash", 70_000, { tokensIn: 1000, tokensOut: 1000, latencyMs: 1500 })); // 1 250
  assert.deepEqual(t.minutes.read(), [
    { key: "lyra-flash", timestamp: 40_000, value: {
      model: "lyra-flash", windowStartMs: 0, windowEndMs: 60_000, requests: 1, errors: 0, errorRate: 0, tokensIn: 400, tokensOut: 300,
      costMicroUsd: 400, meanLatencyMs: 200, p95LatencyMs: 200, thumbsUp: 1, thumbsDown: 0, negativeFeedbackRate: 0 } },
    // Latencies 3000, 5000, 700, 100: mean 2200; the 4th (⌈3.8⌉) is in the (4000, 8000] bucket, capped by the maximum 5000.
    { key: "orion-large", timestamp: 59_000, value: {
      model: "orion-large", windowStartMs: 0, windowEndMs: 60_000, requests: 4, errors: 1, errorRate: 0.25, tokensIn: 320, tokensOut: 150,
      costMicroUsd: 7700, meanLatencyMs: 2200, p95LatencyMs: 5000, thumbsUp: 1, thumbsDown: 1, negativeFeedbackRate: 0.5 } },
  ]);
  t.send(reply("m-h", 2, "orion-large", 50_000, { tokensIn: 999, tokensOut: 999, latencyMs: 999 }));
  assert.deepEqual(t.minutes.read(), [], "too late for its closed minute: dropped");
  t.send(reply("m-i", 2, "lyra-flash", 130_000, { tokensIn: 0, tokensOut: 0, latencyMs: 50, error: "rate_limited" }));
  assert.deepEqual(t.minutes.read(), [
    { key: "lyra-flash", timestamp: 70_000, value: {
      model: "lyra-flash", windowStartMs: 60_000, windowEndMs: 120_000, requests: 1, errors: 0, errorRate: 0, tokensIn: 1000, tokensOut: 1000,
      costMicroUsd: 1250, meanLatencyMs: 1500, p95LatencyMs: 1500, thumbsUp: 0, thumbsDown: 0, negativeFeedbackRate: null } },
    { key: "orion-large", timestamp: 65_000, value: {
      model: "orion-large", windowStartMs: 60_000, windowEndMs: 120_000, requests: 1, errors: 0, errorRate: 0, tokensIn: 10, tokensOut: 10,
      costMicroUsd: 400, meanLatencyMs: 1000, p95LatencyMs: 1000, thumbsUp: 0, thumbsDown: 0, negativeFeedbackRate: null } },
  ]);
  t.driver.close();
});
