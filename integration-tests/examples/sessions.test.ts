// Sessions through the examples' harness: seeded clicks through `weir run` on the broker give the same
// session summaries and active users per minute as the TopologyTestDriver.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { buildTopology, type SessionSummary } from "../../topologies/sessions/app.ts";
import { baseTimeEndingNow, events } from "../../topologies/sessions/generate.ts";
import { deleteTopics } from "../../src/kafka/tools.ts";
import { connection, killAll } from "../helpers/cluster.ts";
import { expectBrokerMatchesDriver } from "../helpers/example.ts";

const created: string[] = [];
after(async () => {
  await killAll();
  await deleteTopics(connection(), created);
});

test("sessions: weir run on the broker writes what the TopologyTestDriver writes", { timeout: 300_000 }, async () => {
  const count = 2500;
  const seed = 21;
  const clicks = events(count, seed, baseTimeEndingNow(count, seed));
  const { driver } = await expectBrokerMatchesDriver(
    {
      example: "sessions",
      topics: {
        clicks: { env: "SESSIONS_CLICKS_TOPIC" },
        summaries: { env: "SESSIONS_SUMMARIES_TOPIC" },
        activeUsers: { env: "SESSIONS_ACTIVE_USERS_TOPIC" },
      },
      inputs: [{ topic: "clicks", records: clicks.map((c) => ({ key: c.key, value: JSON.stringify(c.value), timestamp: c.timestamp })) }],
      outputs: ["summaries", "activeUsers"],
      topology: (t) => buildTopology({ clicks: t.clicks!, summaries: t.summaries!, activeUsers: t.activeUsers! }),
    },
    created,
  );
  // The input exercises what the example is for: many closed sessions, some converted, many minutes.
  const summaries = driver.get("summaries")!.map((r) => JSON.parse(r.value!) as SessionSummary);
  assert.ok(summaries.length > 100, `closed sessions: ${summaries.length}`);
  assert.ok(summaries.some((s) => s.converted) && summaries.some((s) => !s.converted));
  assert.ok(driver.get("activeUsers")!.length > 60, `minutes: ${driver.get("activeUsers")!.length}`);
});
