// Conversations through the examples' harness: seeded chat traffic through `weir run` on the broker gives the
// TopologyTestDriver's per-conversation stats, per-model minutes (through the by-model repartition topic and
// suppress) and abandoned conversations (event-time timers), record for record.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { buildTopology, type ConversationTopics } from "../../topologies/conversations/app.ts";
import { events } from "../../topologies/conversations/generate.ts";
import { deleteTopics } from "../../src/kafka/tools.ts";
import { connection, killAll } from "../helpers/cluster.ts";
import { expectBrokerMatchesDriver } from "../helpers/example.ts";

const created: string[] = [];
after(async () => {
  await killAll();
  await deleteTopics(connection(), created);
});

test("conversations: weir run on the broker writes what the TopologyTestDriver writes", async () => {
  // About 20 minutes of event time, ending well before now: minutes close, 2- and 10-minute timers fire.
  const records = events(1500, 42, Date.now() - 40 * 60_000).map((r) => ({ key: r.key, value: JSON.stringify(r.value), timestamp: r.timestamp }));
  const { driver } = await expectBrokerMatchesDriver(
    {
      example: "conversations",
      topics: {
        input: { env: "CONVERSATIONS_INPUT_TOPIC" },
        stats: { env: "CONVERSATIONS_STATS_TOPIC" },
        modelMinutes: { env: "CONVERSATIONS_MODEL_MINUTES_TOPIC" },
        abandoned: { env: "CONVERSATIONS_ABANDONED_TOPIC" },
      },
      inputs: [{ topic: "input", records }],
      outputs: ["stats", "modelMinutes", "abandoned"],
      topology: (t) => buildTopology(t as unknown as ConversationTopics),
    },
    created,
  );
  assert.equal(driver.get("stats")!.length, 1500, "one stats update per event");
  const minutes = driver.get("modelMinutes")!;
  assert.ok(minutes.length > 40, `closed minutes of four models (${minutes.length})`);
  const reasons = driver.get("abandoned")!.map((r) => (JSON.parse(r.value!) as { reason: string }).reason);
  assert.ok(reasons.includes("no-reply") && reasons.includes("idle"), `both kinds of abandonment occur (${reasons.length} records)`);
});
