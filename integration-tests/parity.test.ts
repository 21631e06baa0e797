// Issue 5's parity: the same input through the TopologyTestDriver and through `weir run` on the real broker
// gives identical committed output, for a windowed aggregation with suppress and for a stream–stream join.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { deleteTopics } from "../src/kafka/tools.ts";
import { buildParityTopology, topicEnv } from "./apps/parity-topology.ts";
import { connection, killAll } from "./helpers/cluster.ts";
import { expectBrokerMatchesDriver } from "./helpers/example.ts";

const created: string[] = [];
after(async () => {
  await killAll();
  await deleteTopics(connection(), created);
});

test("a windowed count with suppress and a stream–stream join commit on the broker what the TopologyTestDriver gives", async () => {
  const minute = 60_000;
  const start = Math.floor(Date.now() / minute) * minute - 60 * minute;
  const users = ["ann", "bob", "cy", "dee", "eve"];
  // 40 minutes of clicks, a few seconds apart, with some late ones: inside the 5 s grace and beyond it.
  const clicks = Array.from({ length: 1200 }, (_, i) => {
    const late = i % 97 === 0 ? 8_000 : i % 31 === 0 ? 3_000 : 0;
    return { key: users[(i * 7) % users.length]!, value: `click-${i}`, timestamp: start + i * 2_000 - late };
  });
  // Orders and their payments 0–3 minutes apart: those within 2 minutes join, the others do not.
  const orders = Array.from({ length: 300 }, (_, i) => ({ key: `order-${i}`, value: `order ${i}`, timestamp: start + i * 5_000 }));
  const payments = orders.filter((_, i) => i % 5 !== 0).map((o, i) => ({ key: o.key, value: `card ${i % 17}`, timestamp: o.timestamp + ((i * 37) % 180) * 1_000 }));

  const { driver } = await expectBrokerMatchesDriver(
    {
      example: "parity",
      module: "integration-tests/apps/parity.ts",
      topics: Object.fromEntries(Object.entries(topicEnv).map(([name, env]) => [name, { env }])),
      inputs: [
        { topic: "clicks", records: clicks },
        { topic: "orders", records: orders },
        { topic: "payments", records: payments },
      ],
      outputs: ["counts", "paid"],
      topology: (t) => buildParityTopology(t),
    },
    created,
  );
  const counts = driver.get("counts")!;
  const paid = driver.get("paid")!;
  // The input exercises what it should: closed windows for every user, joins and non-joins.
  assert.ok(counts.length >= 5 * 30, `final counts of closed windows (${counts.length})`);
  assert.ok(paid.length > 100 && paid.length < payments.length, `some payments join their order, some are too far apart (${paid.length} of ${payments.length})`);
});
