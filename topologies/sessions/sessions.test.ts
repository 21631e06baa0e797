// The sessions topology on the TopologyTestDriver, with outputs worked out by hand. Sessions: gap 30 min,
// grace 5 min, so a session [start, end] is final once stream time passes end + 35 min. Minutes: grace
// 10 s, so a user's minute [m, m + 1 min) is final at stream time m + 70 s; the minute's active-user count
// is final once the users' finals downstream (each carrying the user's last click of its minute) reach
// m + 3 min: 2 minutes of grace for finals from other partitions.
import assert from "node:assert/strict";
import { afterEach, test } from "node:test";
import { serdes } from "weir-streams";
import { TopologyTestDriver, type TestInputTopic } from "weir-streams/testing";
import { buildTopology, topics, type Action, type ActiveUsers, type Click, type SessionSummary } from "./app.ts";
import { baseTimeEndingNow, events } from "./generate.ts";

/** Epoch ms of a time on 2025-01-06 (UTC), "hh:mm:ss" or "hh:mm:ss.mmm". */
const at = (time: string) => Date.parse(`2025-01-06T${time}Z`);

let driver: TopologyTestDriver;
afterEach(() => driver.close());

interface Output<V> {
  key: string | null;
  value: V | null;
  timestamp: number;
}

/** A fresh driver; `summaries()` and `activeUsers()` return what was written since they were last read. */
function start() {
  driver = new TopologyTestDriver(buildTopology(), { applicationId: "sessions" });
  const input: TestInputTopic<string, Click> = driver.createInputTopic(topics.clicks, serdes.string(), serdes.json<Click>());
  const summaryTopic = driver.createOutputTopic(topics.summaries, serdes.string(), serdes.json<SessionSummary>());
  const activeTopic = driver.createOutputTopic(topics.activeUsers, serdes.string(), serdes.json<ActiveUsers>());
  return {
    click: (user: string, page: string, action: Action, time: string) => input.pipeInput(user, { userId: user, page, action }, at(time)),
    summaries: (): Output<SessionSummary>[] => summaryTopic.readRecordsToList().map(({ key, value, timestamp }) => ({ key, value, timestamp })),
    activeUsers: (): Output<ActiveUsers>[] => activeTopic.readRecordsToList().map(({ key, value, timestamp }) => ({ key, value, timestamp })),
  };
}

test("one summary per closed session: duration, page views, distinct pages, converted; emitted once the gap and grace have passed", () => {
  const { click, summaries } = start();
  click("alice", "/", "view", "09:00:00");
  click("bob", "/blog/kafka", "view", "09:01:00");
  click("alice", "/products/42", "view", "09:02:00");
  click("alice", "/products/42", "add_to_cart", "09:05:30");
  click("alice", "/checkout", "purchase", "09:06:00");
  // 19 minutes later: within the gap, the same session.
  click("bob", "/blog/streams", "view", "09:20:00");
  assert.deepEqual(summaries(), []);
  // alice's [09:00, 09:06] is final after 09:41:00; bob's [09:01, 09:20] after 09:55:00.
  click("carol", "/", "view", "09:56:00");
  assert.deepEqual(summaries(), [
    {
      key: "alice",
      value: { userId: "alice", start: "2025-01-06T09:00:00.000Z", end: "2025-01-06T09:06:00.000Z", durationSeconds: 360, events: 4, pageViews: 2, distinctPages: 3, converted: true, purchases: 1 },
      timestamp: at("09:06:00"),
    },
    {
      key: "bob",
      value: { userId: "bob", start: "2025-01-06T09:01:00.000Z", end: "2025-01-06T09:20:00.000Z", durationSeconds: 1140, events: 2, pageViews: 2, distinctPages: 2, converted: false, purchases: 0 },
      timestamp: at("09:20:00"),
    },
  ]);
});

test("a late click that bridges two sessions within grace merges them: one summary, none for the merged-away sessions", () => {
  const { click, summaries } = start();
  click("alice", "/", "view", "09:00:00");
  // 35 minutes later: a second session.
  click("alice", "/products/7", "view", "09:35:00");
  // 15 minutes late, but [09:00, 09:00] stays open until stream time passes 09:35:00: it bridges the two.
  click("alice", "/search", "search", "09:20:00");
  // [09:00, 09:35] is final once stream time passes 10:10:00, not at it.
  click("bob", "/", "view", "10:10:00");
  assert.deepEqual(summaries(), []);
  click("bob", "/pricing", "view", "10:10:00.001");
  assert.deepEqual(summaries(), [
    {
      key: "alice",
      value: { userId: "alice", start: "2025-01-06T09:00:00.000Z", end: "2025-01-06T09:35:00.000Z", durationSeconds: 2100, events: 3, pageViews: 2, distinctPages: 3, converted: false, purchases: 0 },
      timestamp: at("09:35:00"),
    },
  ]);
});

test("a click for a session that closed is dropped: the closed session's summary is not emitted again", () => {
  const { click, summaries } = start();
  click("alice", "/", "view", "09:00:00");
  click("alice", "/search", "search", "09:20:00");
  click("bob", "/", "view", "09:25:00");
  click("carol", "/", "view", "10:30:00");
  assert.deepEqual(summaries(), [
    {
      key: "alice",
      value: { userId: "alice", start: "2025-01-06T09:00:00.000Z", end: "2025-01-06T09:20:00.000Z", durationSeconds: 1200, events: 2, pageViews: 1, distinctPages: 2, converted: false, purchases: 0 },
      timestamp: at("09:20:00"),
    },
    {
      key: "bob",
      value: { userId: "bob", start: "2025-01-06T09:25:00.000Z", end: "2025-01-06T09:25:00.000Z", durationSeconds: 0, events: 1, pageViews: 1, distinctPages: 1, converted: false, purchases: 0 },
      timestamp: at("09:25:00"),
    },
  ]);
  // 50 minutes late: it would extend alice's closed session (or start one that is already closed).
  click("alice", "/pricing", "view", "09:40:00");
  click("dave", "/", "view", "11:30:00");
  assert.deepEqual(summaries(), [
    {
      key: "carol",
      value: { userId: "carol", start: "2025-01-06T10:30:00.000Z", end: "2025-01-06T10:30:00.000Z", durationSeconds: 0, events: 1, pageViews: 1, distinctPages: 1, converted: false, purchases: 0 },
      timestamp: at("10:30:00"),
    },
  ]);
});

test("active users per minute: distinct users and their clicks, once per minute, late clicks within grace counted and past it dropped", () => {
  const { click, activeUsers } = start();
  click("alice", "/", "view", "09:00:05");
  click("bob", "/", "view", "09:00:30");
  click("alice", "/search", "search", "09:00:50");
  click("carol", "/", "view", "09:01:09");
  // 10 s late: minute 09:00 takes clicks until stream time 09:01:10.
  click("dave", "/", "view", "09:00:59");
  // Stream time 09:01:10 closes minute 09:00 for each user: alice 2, bob 1, dave 1.
  click("alice", "/products/1", "view", "09:01:10");
  // 30 s late, after the minute closed: dropped from the minute counts.
  click("erin", "/", "view", "09:00:40");
  assert.deepEqual(activeUsers(), []);
  // Closes minute 09:01 (carol 1, alice 1): downstream stream time is 09:01:10, and a minute's count waits
  // 2 minutes of grace for finals from other partitions.
  click("bob", "/cart", "view", "09:02:20");
  // Closes minute 09:02 (bob 1): downstream stream time 09:02:20.
  click("alice", "/", "view", "09:05:00");
  assert.deepEqual(activeUsers(), []);
  // Closes minute 09:05 (alice 1): downstream stream time 09:05:00 closes 09:00, 09:01 and 09:02 (at 09:03,
  // 09:04 and 09:05); minutes without clicks have no record.
  click("frank", "/", "view", "09:07:00");
  assert.deepEqual(activeUsers(), [
    { key: "2025-01-06T09:00:00.000Z", value: { minute: "2025-01-06T09:00:00.000Z", activeUsers: 3, clicks: 4 }, timestamp: at("09:00:59") },
    { key: "2025-01-06T09:01:00.000Z", value: { minute: "2025-01-06T09:01:00.000Z", activeUsers: 2, clicks: 2 }, timestamp: at("09:01:10") },
    { key: "2025-01-06T09:02:00.000Z", value: { minute: "2025-01-06T09:02:00.000Z", activeUsers: 1, clicks: 1 }, timestamp: at("09:02:20") },
  ]);
});

test("the generator is seeded and ends a minute before now", () => {
  const a = events(500, 7, 1_000_000);
  assert.deepEqual(events(500, 7, 1_000_000), a);
  assert.notDeepEqual(events(500, 8, 1_000_000), a);
  assert.ok(a.every((e) => e.timestamp >= 1_000_000 && e.key === e.value.userId));
  const now = 1_800_000_000_000;
  const base = baseTimeEndingNow(500, 7, now);
  assert.equal(Math.max(...events(500, 7, base).map((e) => e.timestamp)), now - 60_000);
});
