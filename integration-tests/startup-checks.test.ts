// What the app refuses at start, before joining its group: inputs of one task with different
// partition counts, and a changelog topic that exists but does not fit the topology.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { createTopics, describeTopic } from "../src/kafka/tools.ts";
import { App, StreamsBuilder, app, serdes } from "../src/index.ts";
import { connection, startWeir, TestTopics, uniqueName } from "./helpers/cluster.ts";

const topics = new TestTopics();
after(() => topics.drop());

const strings = { key: serdes.string(), value: serdes.string() };

function startOnce(applicationId: string, build: (b: StreamsBuilder) => void): Promise<void> {
  const b = new StreamsBuilder();
  build(b);
  const instance = new App(app({ applicationId, topology: b.build(), logLevel: "silent" }), { bootstrapServers: connection().brokers.join(",") });
  return instance.start().finally(() => instance.stop());
}

test("inputs of one sub-topology with different partition counts fail at start, naming both", async () => {
  const two = await topics.create("orders", 2);
  const three = await topics.create("refunds", 3);
  const out = await topics.create("out", 1);
  await assert.rejects(
    startOnce(uniqueName("copartition"), (b) => b.stream([two, three], strings).to(out, strings)),
    new RegExp(`WEIR_TOPOLOGY_INVALID: topics ${two} \\(2 partitions\\), ${three} \\(3 partitions\\) are read by one sub-topology`),
  );
});

test("an existing changelog topic that is not compacted fails at start, naming it", async () => {
  const input = await topics.create("events", 2);
  const out = await topics.create("out", 1);
  const applicationId = uniqueName("bad-changelog");
  const changelog = `${applicationId}-counts-changelog`;
  await createTopics(connection(), [{ name: changelog, partitions: 2, config: { "cleanup.policy": "delete" } }]);
  topics.adopt(changelog);
  await assert.rejects(
    startOnce(applicationId, (b) => b.stream(input, strings).groupByKey().count({ store: "counts" }).toStream().to(out, { key: serdes.string(), value: serdes.int64() })),
    new RegExp(`${changelog} has cleanup.policy=delete, expected compact`),
  );
});

test("a missing changelog topic is created compacted with the input's partition count", async () => {
  const input = await topics.create("events", 3);
  const out = await topics.create("out", 1);
  const applicationId = uniqueName("new-changelog");
  topics.adopt(`${applicationId}-counts-changelog`);
  await startOnce(applicationId, (b) => b.stream(input, strings).groupByKey().count({ store: "counts" }).toStream().to(out, { key: serdes.string(), value: serdes.int64() }));
  assert.deepEqual(await describeTopic(connection(), `${applicationId}-counts-changelog`), { partitions: 3, cleanupPolicy: "compact" });
  // Starting again finds the changelog it created and accepts it.
  await startOnce(applicationId, (b) => b.stream(input, strings).groupByKey().count({ store: "counts" }).toStream().to(out, { key: serdes.string(), value: serdes.int64() }));
});

test("weir run with an invalid setting exits 2 naming the setting, the value and what is allowed", async () => {
  const input = await topics.create("events", 1);
  const out = await topics.create("out", 1);
  const weir = startWeir(["run", "integration-tests/apps/count-and-sum.ts", "--commit-interval-ms", "0"], {
    COUNT_INPUT_TOPIC: input,
    COUNT_OUTPUT_TOPIC: out,
    WEIR_APPLICATION_ID: uniqueName("bad-config"),
  });
  assert.equal(await weir.exited(30_000), 2);
  assert.match(weir.stderr(), /WEIR_CONFIG_INVALID: commitIntervalMs: .*>=1.*got 0/);
});

test("a WEIR_ variable with a value outside the allowed ones exits 2 naming the setting", async () => {
  const weir = startWeir(["run", "integration-tests/apps/count-and-sum.ts"], {
    COUNT_INPUT_TOPIC: "unused",
    COUNT_OUTPUT_TOPIC: "unused",
    WEIR_APPLICATION_ID: uniqueName("bad-env"),
    WEIR_PROCESSING_GUARANTEE: "exactly-twice",
  });
  assert.equal(await weir.exited(30_000), 2);
  assert.match(weir.stderr(), /processingGuarantee: .*"exactly_once".*"at_least_once".*got "exactly-twice"/);
});
