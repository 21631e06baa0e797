// Card fraud through the examples' harness: the broker's committed alerts and card stats equal the TopologyTestDriver's.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { buildTopology, type FraudAlert } from "../../topologies/fraud/app.ts";
import { events } from "../../topologies/fraud/generate.ts";
import { deleteTopics } from "../../src/kafka/tools.ts";
import { connection, killAll } from "../helpers/cluster.ts";
import { expectBrokerMatchesDriver } from "../helpers/example.ts";

const created: string[] = [];
after(async () => {
  await killAll();
  await deleteTopics(connection(), created);
});

test("fraud: weir run on the broker writes the alerts and card stats the TopologyTestDriver writes", async () => {
  // 3,000 transactions 1.5 s apart on average: about 75 minutes of event time, ending well before now.
  const records = events(3000, 21, Date.now() - 2 * 3_600_000, { fraudRate: 0.02 });
  const { driver } = await expectBrokerMatchesDriver(
    {
      example: "fraud",
      topics: {
        transactions: { env: "FRAUD_TRANSACTIONS_TOPIC" },
        alerts: { env: "FRAUD_ALERTS_TOPIC" },
        stats: { env: "FRAUD_STATS_TOPIC" },
      },
      inputs: [{ topic: "transactions", records }],
      outputs: ["alerts", "stats"],
      topology: (t) => buildTopology({ transactions: t.transactions!, alerts: t.alerts!, stats: t.stats! }),
    },
    created,
  );
  const kinds = new Set(driver.get("alerts")!.map((r) => (JSON.parse(r.value!) as FraudAlert).kind));
  assert.deepEqual([...kinds].sort(), ["amount-outlier", "card-testing", "country-hop"], "the input exercises every rule");
  assert.equal(driver.get("stats")!.length, 3000, "one stats record per transaction");
});
