// Page views through the examples' harness: the broker's committed output equals the TopologyTestDriver's.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { buildTopology } from "../../topologies/pageviews/app.ts";
import { pageViews } from "../../topologies/pageviews/generate.ts";
import { deleteTopics } from "../../src/kafka/tools.ts";
import { connection, killAll } from "../helpers/cluster.ts";
import { expectBrokerMatchesDriver } from "../helpers/example.ts";

const created: string[] = [];
after(async () => {
  await killAll();
  await deleteTopics(connection(), created);
});

test("pageviews: weir run on the broker writes what the TopologyTestDriver writes", async () => {
  const base = Date.now() - 60_000;
  const records = pageViews(2000, 11).map((v, i) => ({ key: v.userId, value: JSON.stringify(v), timestamp: base + i }));
  const { driver } = await expectBrokerMatchesDriver(
    {
      example: "pageviews",
      topics: { input: { env: "PAGEVIEWS_INPUT_TOPIC" }, output: { env: "PAGEVIEWS_OUTPUT_TOPIC" } },
      inputs: [{ topic: "input", records }],
      outputs: ["output"],
      topology: (t) => buildTopology(t.input, t.output),
    },
    created,
  );
  const out = driver.get("output")!;
  assert.ok(out.length > 1000 && out.length < 2000, `bots and broken views are dropped, the rest kept (${out.length})`);
});
