import { test } from "node:test";
import assert from "node:assert/strict";
import { serdes } from "../serdes/serde.ts";
import { TopologyTestDriver } from "../testing/topology-test-driver.ts";
import { StreamsBuilder } from "./streams-builder.ts";
import { SessionWindows, TimeWindows } from "./windows.ts";

interface Activity {
  readonly clicks: number;
  readonly spent: number;
}
const activity = serdes.json<Activity>();
const none = (): Activity => ({ clicks: 0, spent: 0 });

function twoInputs(b: StreamsBuilder) {
  const clicks = b.stream("clicks", { key: serdes.string(), value: serdes.string() }).groupByKey();
  const purchases = b.stream("purchases", { key: serdes.string(), value: serdes.float64() }).groupByKey();
  return clicks
    .cogroup<Activity>((_k, _page, a) => ({ ...a, clicks: a.clicks + 1 }))
    .cogroup(purchases, (_k, amount, a) => ({ ...a, spent: a.spent + amount }));
}

test("cogroup().aggregate(): two grouped streams fold into one aggregate per key, every update forwarded", () => {
  const b = new StreamsBuilder();
  twoInputs(b).aggregate(none, { store: "activity", value: activity }).toStream().to("out", { key: serdes.string(), value: activity });
  const driver = new TopologyTestDriver(b.build());
  try {
    const clicks = driver.createInputTopic("clicks", serdes.string(), serdes.string());
    const purchases = driver.createInputTopic("purchases", serdes.string(), serdes.float64());
    clicks.pipeInput("a", "/home", 1000);
    purchases.pipeInput("a", 5, 2000);
    clicks.pipeInput("b", "/cart", 3000);
    clicks.pipeInput("a", "/cart", 4000);
    purchases.pipeInput("a", 2.5, 5000);
    assert.deepEqual(
      driver.createOutputTopic("out", serdes.string(), activity).readRecordsToList().map((r) => [r.key, r.value, r.timestamp]),
      [
        ["a", { clicks: 1, spent: 0 }, 1000],
        ["a", { clicks: 1, spent: 5 }, 2000],
        ["b", { clicks: 1, spent: 0 }, 3000],
        ["a", { clicks: 2, spent: 5 }, 4000],
        ["a", { clicks: 2, spent: 7.5 }, 5000],
      ],
    );
    assert.deepEqual(driver.getKeyValueStore<string, Activity>("activity").get("a"), { clicks: 2, spent: 7.5 });
  } finally {
    driver.close();
  }
});

test("cogroup().aggregate() stamps each result with the largest timestamp of the records that made it (KStreamAggregate), not the triggering record's", () => {
  const b = new StreamsBuilder();
  twoInputs(b).aggregate(none, { store: "activity", value: activity }).toStream().to("out", { key: serdes.string(), value: activity });
  const driver = new TopologyTestDriver(b.build());
  try {
    const purchases = driver.createInputTopic("purchases", serdes.string(), serdes.float64());
    purchases.pipeInput("a", 5, 2000);
    purchases.pipeInput("a", 7, 1000); // out of order: the sum still carries 2000
    driver.createInputTopic("clicks", serdes.string(), serdes.string()).pipeInput("a", "/home", 1500); // the other input too
    assert.deepEqual(
      driver.createOutputTopic("out", serdes.string(), activity).readRecordsToList().map((r) => [r.key, r.value, r.timestamp]),
      [
        ["a", { clicks: 0, spent: 5 }, 2000],
        ["a", { clicks: 0, spent: 12 }, 2000],
        ["a", { clicks: 1, spent: 12 }, 2000],
      ],
    );
  } finally {
    driver.close();
  }
});

test("cogroup() of a re-keyed stream (through its repartition topic) and a stream grouped by key", () => {
  const b = new StreamsBuilder();
  const clicks = b.stream("clicks", { key: serdes.string(), value: serdes.string() }).groupByKey();
  // Purchases arrive keyed by order id, "<customer>:<amount>": re-keyed by customer.
  const purchases = b
    .stream("orders", { key: serdes.string(), value: serdes.string() })
    .groupBy((_order, v) => v.split(":")[0]!, { name: "orders-by-customer", key: serdes.string() });
  clicks
    .cogroup<Activity>((_k, _page, a) => ({ ...a, clicks: a.clicks + 1 }))
    .cogroup(purchases, (_k, v, a) => ({ ...a, spent: a.spent + Number(v.split(":")[1]) }))
    .aggregate(none, { store: "activity", value: activity })
    .toStream()
    .to("out", { key: serdes.string(), value: activity });
  const topology = b.build();
  assert.ok(topology.describe().includes("orders-by-customer-repartition"));
  const driver = new TopologyTestDriver(topology);
  try {
    driver.createInputTopic("orders", serdes.string(), serdes.string()).pipeInput("o1", "a:3", 1000);
    driver.createInputTopic("clicks", serdes.string(), serdes.string()).pipeInput("a", "/home", 2000);
    assert.deepEqual(driver.createOutputTopic("out", serdes.string(), activity).readKeyValuesToList(), [
      { key: "a", value: { clicks: 0, spent: 3 } },
      { key: "a", value: { clicks: 1, spent: 3 } },
    ]);
  } finally {
    driver.close();
  }
});

test("cogroup().windowedBy(TimeWindows).aggregate(): one aggregate per key and window across the inputs; each input has its own stream time", () => {
  const b = new StreamsBuilder();
  twoInputs(b)
    .windowedBy(TimeWindows.ofSizeAndGrace(10_000, 0))
    .aggregate(none, { store: "activity-10s", value: activity })
    .toStream()
    .to("out", { key: serdes.windowed(serdes.string()), value: activity });
  const driver = new TopologyTestDriver(b.build());
  try {
    const clicks = driver.createInputTopic("clicks", serdes.string(), serdes.string());
    const purchases = driver.createInputTopic("purchases", serdes.string(), serdes.float64());
    clicks.pipeInput("a", "/home", 1000);
    purchases.pipeInput("a", 5, 9000);
    clicks.pipeInput("a", "/cart", 12_000); // the clicks' stream time 12 000 closes [0, 10 000) for clicks
    // Not late for the purchases, whose stream time is 9000 (Kafka Streams builds one aggregation per input), but
    // the store has expired [0, 10 000) (retention size + grace from its clock, 12 000): a fresh aggregate, as
    // Kafka Streams 4.4 gives for the same input.
    purchases.pipeInput("a", 1, 9500);
    clicks.pipeInput("a", "/home", 9600); // late for the clicks: dropped
    assert.deepEqual(
      driver.createOutputTopic("out", serdes.windowed(serdes.string()), activity).readKeyValuesToList().map(({ key, value }) => [key!.window.start, value]),
      [
        [0, { clicks: 1, spent: 0 }],
        [0, { clicks: 1, spent: 5 }],
        [10_000, { clicks: 1, spent: 0 }],
        [0, { clicks: 0, spent: 1 }],
      ],
    );
  } finally {
    driver.close();
  }
});

test("cogroup().windowedBy(SessionWindows).aggregate(): a record of either input extends or merges the key's sessions", () => {
  const b = new StreamsBuilder();
  twoInputs(b)
    .windowedBy(SessionWindows.ofInactivityGapAndGrace(1000, 5000))
    .aggregate(none, (_k, x, y) => ({ clicks: x.clicks + y.clicks, spent: x.spent + y.spent }), { store: "sessions", value: activity })
    .toStream()
    .to("out", { key: serdes.sessionWindowed(serdes.string()), value: activity });
  const driver = new TopologyTestDriver(b.build());
  try {
    const clicks = driver.createInputTopic("clicks", serdes.string(), serdes.string());
    const purchases = driver.createInputTopic("purchases", serdes.string(), serdes.float64());
    clicks.pipeInput("a", "/home", 1000);
    clicks.pipeInput("a", "/cart", 3000); // a second session: more than the gap apart
    purchases.pipeInput("a", 4, 2000); // within the gap of both: merges them into [1000, 3000]
    const out = driver.createOutputTopic("out", serdes.sessionWindowed(serdes.string()), activity).readKeyValuesToList();
    assert.deepEqual(
      out.map(({ key, value }) => [key!.window.start, key!.window.end, value]),
      [
        [1000, 1000, { clicks: 1, spent: 0 }],
        [3000, 3000, { clicks: 1, spent: 0 }],
        [1000, 1000, null],
        [3000, 3000, null],
        [1000, 3000, { clicks: 2, spent: 4 }],
      ],
    );
  } finally {
    driver.close();
  }
});

test("describe() shows one COGROUPKSTREAM-AGGREGATE per input on the shared store, and the merge", () => {
  const b = new StreamsBuilder();
  twoInputs(b).aggregate(none, { store: "activity", value: activity });
  const text = b.build().describe();
  assert.equal(text.match(/Processor: COGROUPKSTREAM-AGGREGATE-\d+ \(stores: \[activity\]\)/g)?.length, 2);
  assert.match(text, /Processor: COGROUPKSTREAM-MERGE-\d+ \(stores: \[\]\)/);
  assert.match(text, /Sub-topology: 0\n/);
  assert.doesNotMatch(text, /Sub-topology: 1/, "both inputs run in one sub-topology: they share the store");
});

test("a grouped stream cogrouped twice is refused", () => {
  const b = new StreamsBuilder();
  const clicks = b.stream("clicks", { key: serdes.string(), value: serdes.string() }).groupByKey();
  assert.throws(() => clicks.cogroup<number>((_k, _v, n) => n + 1).cogroup(clicks, (_k, _v, n) => n + 1), /already part of this cogroup/);
});
