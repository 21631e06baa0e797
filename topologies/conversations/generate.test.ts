// The generator: seeded, in event-time order, and with every behaviour the topology looks for.
import { test } from "node:test";
import assert from "node:assert/strict";
import { events, meanEventsPerConversation } from "./generate.ts";

test("same seed, same events, in event-time order from the base time", () => {
  const base = 1_700_000_000_000;
  const a = events(2000, 7, base);
  assert.deepEqual(events(2000, 7, base), a);
  assert.notDeepEqual(events(2000, 8, base), a);
  assert.equal(a[0]!.timestamp, base);
  for (let i = 1; i < a.length; i++) assert.ok(a[i]!.timestamp >= a[i - 1]!.timestamp, `event ${i} is in order`);
  for (const r of a) {
    assert.equal(r.key, r.value.conversationId);
    assert.equal(r.timestamp, r.value.timeMs);
  }
});

test("the traffic mixes models, failures, feedback, unanswered turns and turn numbers per conversation", () => {
  const all = events(3000, 42, 0);
  const assistant = all.filter((r) => r.value.role === "assistant").map((r) => r.value);
  assert.deepEqual(new Set(all.map((r) => r.value.model)), new Set(["orion-large", "orion-mini", "lyra-pro", "lyra-flash"]));
  assert.ok(assistant.some((e) => e.error === "timeout") && assistant.some((e) => e.error === "rate_limited"));
  assert.ok(assistant.some((e) => e.feedback === "down") && assistant.some((e) => e.feedback === "up"));
  const last = new Map<string, { role: string; turn: number }>();
  for (const r of all) {
    const previous = last.get(r.key);
    assert.equal(r.value.turn, (previous?.turn ?? 0) + 1, `${r.key}: turns count up by one`);
    last.set(r.key, r.value);
  }
  const unanswered = [...last.values()].filter((e) => e.role === "user").length;
  assert.ok(unanswered > 10, `some conversations end on a user turn (${unanswered})`);
  const perConversation = all.length / last.size;
  assert.ok(Math.abs(perConversation - meanEventsPerConversation) < 1.5, `about ${meanEventsPerConversation} events per conversation (${perConversation})`);
});
