// ML features through the examples' harness: the broker's committed feature rows equal the TopologyTestDriver's,
// and the running instance answers interactive queries of the feature table with the driver's store values.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { buildTopology, featureTable, type FeatureRow } from "../../topologies/ml-features/app.ts";
import { events, profiles, userIds } from "../../topologies/ml-features/generate.ts";
import { deleteTopics, type RecordToWrite } from "../../src/kafka/tools.ts";
import { serdes } from "../../src/serdes/serde.ts";
import { TopologyTestDriver } from "../../src/testing/topology-test-driver.ts";
import { connection, freePort, killAll } from "../helpers/cluster.ts";
import { expectBrokerMatchesDriver } from "../helpers/example.ts";

const created: string[] = [];
after(async () => {
  await killAll();
  await deleteTopics(connection(), created);
});

test("ml-features: weir run on the broker writes the TopologyTestDriver's feature rows and serves its table over HTTP", async () => {
  // About 2 h of events, 5 s apart on average, ending before now: events leave the 5 min and 1 h windows.
  const input = events(1500, 21, Date.now() - 3 * 3_600_000, 5_000);
  const profileRecords: RecordToWrite[] = profiles(21).map((p) => ({ key: p.userId, value: JSON.stringify(p.profile) }));
  const eventRecords: RecordToWrite[] = input.map((e) => ({ key: e.userId, value: JSON.stringify(e), timestamp: e.time }));
  const inputs = [
    { topic: "profiles", records: profileRecords },
    { topic: "events", records: eventRecords },
  ];
  const topology = (t: Readonly<Record<string, string>>) => buildTopology({ events: t.events!, profiles: t.profiles!, features: t.features! });
  const port = await freePort();

  // The users queried: the three most active, and the most active one without a profile.
  const activity = new Map<string, number>();
  for (const e of input) activity.set(e.userId, (activity.get(e.userId) ?? 0) + 1);
  const withProfile = new Set(profiles(21).map((p) => p.userId));
  const ranked = [...activity.keys()].sort((a, b) => activity.get(b)! - activity.get(a)! || a.localeCompare(b));
  const queried = [...ranked.slice(0, 3), ranked.find((u) => !withProfile.has(u))!];
  const absent = userIds.find((u) => !activity.has(u))!;

  const { driver } = await expectBrokerMatchesDriver(
    {
      example: "ml-features",
      topics: {
        profiles: { env: "ML_FEATURES_PROFILES_TOPIC" },
        events: { env: "ML_FEATURES_EVENTS_TOPIC" },
        features: { env: "ML_FEATURES_FEATURES_TOPIC" },
      },
      inputs,
      outputs: ["features"],
      topology,
      env: { WEIR_HTTP_PORT: String(port) },
      whileRunning: async (_app, topics) => {
        const expected = driverTable(topology(topics), topics, inputs);
        for (const user of queried) {
          const response = await fetch(`http://127.0.0.1:${port}/stores/${featureTable}/keys/${user}`);
          assert.equal(response.status, 200, `GET ${user}: ${await response.clone().text()}`);
          assert.deepEqual(await response.json(), { store: featureTable, key: user, value: expected.get(user) }, `the table row of ${user}`);
        }
        const missing = await fetch(`http://127.0.0.1:${port}/stores/${featureTable}/keys/${absent}`);
        assert.equal(missing.status, 404);
        assert.equal(((await missing.json()) as { code: string }).code, "WEIR_KEY_NOT_FOUND");
      },
    },
    created,
  );

  const rows = driver.get("features")!;
  assert.ok(rows.length > 2 * input.length, `expiry timers emit rows beside the events (${rows.length} rows for ${input.length} events)`);
  const last = new Map(rows.map((r) => [r.key!, JSON.parse(r.value!) as FeatureRow]));
  assert.ok(queried.every((u) => last.has(u)));
  assert.equal(last.get(queried[3]!)!.profile, null, "a user without a profile joins to null");
  assert.notEqual(last.get(queried[0]!)!.profile, null);
});

/** The feature table as the TopologyTestDriver leaves it after the same input. */
function driverTable(
  topology: ReturnType<typeof buildTopology>,
  topics: Readonly<Record<string, string>>,
  inputs: readonly { readonly topic: string; readonly records: readonly RecordToWrite[] }[],
): Map<string, FeatureRow> {
  const driver = new TopologyTestDriver(topology, { applicationId: "ml-features-queries" });
  try {
    for (const input of inputs) {
      const pipe = driver.createInputTopic(topics[input.topic]!, serdes.string(), serdes.string());
      for (const r of input.records) pipe.pipeInput(String(r.key), String(r.value), r.timestamp);
    }
    return new Map([...driver.getKeyValueStore<string, FeatureRow>(featureTable).all()]);
  } finally {
    driver.close();
  }
}
