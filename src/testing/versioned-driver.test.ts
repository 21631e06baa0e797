import { test } from "node:test";
import assert from "node:assert/strict";
import { serdes } from "../serdes/serde.ts";
import { StreamsBuilder } from "../topology/streams-builder.ts";
import { TopologyTestDriver } from "./topology-test-driver.ts";

const strings = { key: serdes.string(), value: serdes.string() };
const s = serdes.string();

function records(driver: TopologyTestDriver, topic: string): [string | null, string | null, number][] {
  return driver.createOutputTopic(topic, s, s).readRecordsToList().map((r) => [r.key, r.value, r.timestamp]);
}

test("a versioned table keeps out-of-order updates in its history and still forwards them to toStream (Kafka Streams' KIP-914), and drops expired ones", () => {
  const b = new StreamsBuilder();
  b.table("prices", { ...strings, store: "prices", versioned: { historyRetention: 1000 } }).toStream().to("updates", strings);
  const driver = new TopologyTestDriver(b.build());
  try {
    const prices = driver.createInputTopic("prices", s, s);
    prices.pipeInput("a", "p1", 100);
    prices.pipeInput("a", "p3", 300);
    prices.pipeInput("a", "p2", 200); // older than a's newest (300): history, and forwarded marked not latest
    prices.pipeInput("a", null, 400);
    prices.pipeInput("b", "q", 50); // b's first version: in order for b
    prices.pipeInput("c", "x", 2000); // stream time 2000: writes before 1000 are refused
    prices.pipeInput("a", "late", 900);
    assert.deepEqual(records(driver, "updates"), [
      ["a", "p1", 100],
      ["a", "p3", 300],
      ["a", "p2", 200],
      ["a", null, 400],
      ["b", "q", 50],
      ["c", "x", 2000],
    ]);
    const store = driver.getVersionedKeyValueStore<string, string>("prices");
    assert.equal(store.get("a"), undefined, "a's newest version is the tombstone");
    assert.deepEqual(store.get("a", 1000), undefined);
    assert.deepEqual(store.get("b"), { value: "q", timestamp: 50 }, "the newest version stays past the retention");
    assert.equal(store.get("a", 999), undefined, "before stream time − retention only a newest value answers, and a's is a tombstone");
    assert.deepEqual(store.get("b", 999), { value: "q", timestamp: 50 }, "b's newest answers as of any later time");
    assert.throws(() => driver.getKeyValueStore("prices"), /getVersionedKeyValueStore/);
  } finally {
    driver.close();
  }
});

test("the history of a versioned table answers as of a time, out-of-order versions included", () => {
  const b = new StreamsBuilder();
  b.table("prices", { ...strings, store: "prices", versioned: { historyRetention: "1h" } });
  const driver = new TopologyTestDriver(b.build());
  try {
    const prices = driver.createInputTopic("prices", s, s);
    prices.pipeInput("a", "p1", 100);
    prices.pipeInput("a", "p3", 300);
    prices.pipeInput("a", "p2", 200);
    const store = driver.getVersionedKeyValueStore<string, string>("prices");
    assert.deepEqual(store.get("a"), { value: "p3", timestamp: 300 });
    assert.deepEqual(store.get("a", 250), { value: "p2", timestamp: 200, validTo: 300 });
    assert.deepEqual(store.get("a", 199), { value: "p1", timestamp: 100, validTo: 200 });
    assert.equal(store.get("a", 99), undefined);
  } finally {
    driver.close();
  }
});

test("a stream–table join on a versioned table looks the table up as of each stream record's timestamp", () => {
  const b = new StreamsBuilder();
  const prices = b.table("prices", { ...strings, store: "prices", versioned: { historyRetention: 10_000 } });
  const orders = b.stream("orders", strings);
  orders.join(prices, (o, p) => `${o}|${p}`).to("joined", strings);
  orders.leftJoin(prices, (o, p) => `${o}|${p}`).to("left-joined", strings);
  const driver = new TopologyTestDriver(b.build());
  try {
    const price = driver.createInputTopic("prices", s, s);
    const order = driver.createInputTopic("orders", s, s);
    price.pipeInput("a", "p1", 100);
    price.pipeInput("a", "p2", 200);
    order.pipeInput("a", "o1", 150);
    order.pipeInput("a", "o2", 250);
    order.pipeInput("a", "o0", 50); // nothing valid at 50
    price.pipeInput("a", "p1b", 120); // out of order: only in the history
    order.pipeInput("a", "o3", 130);
    assert.deepEqual(records(driver, "joined"), [
      ["a", "o1|p1", 150],
      ["a", "o2|p2", 250],
      ["a", "o3|p1b", 130],
    ]);
    assert.deepEqual(records(driver, "left-joined"), [
      ["a", "o1|p1", 150],
      ["a", "o2|p2", 250],
      ["a", "o0|null", 50],
      ["a", "o3|p1b", 130],
    ]);
  } finally {
    driver.close();
  }
});

test("with a grace period stream records wait until stream time passes their timestamp + grace, then join in timestamp order", () => {
  const b = new StreamsBuilder();
  const prices = b.table("prices", { ...strings, store: "prices", versioned: { historyRetention: 1000 } });
  b.stream("orders", strings)
    .join(prices, (o, p) => `${o}|${p}`, { name: "priced", gracePeriod: 100 })
    .to("joined", strings);
  const driver = new TopologyTestDriver(b.build());
  try {
    const price = driver.createInputTopic("prices", s, s);
    const order = driver.createInputTopic("orders", s, s);
    const joined = driver.createOutputTopic("joined", s, s);
    const read = () => joined.readRecordsToList().map((r) => [r.key, r.value, r.timestamp]);
    price.pipeInput("a", "p1", 100);
    order.pipeInput("a", "o1", 150); // stream time 150: due up to 50, o1 waits
    price.pipeInput("a", "p2", 140); // a table update that arrives late, within the grace
    order.pipeInput("a", "o2", 220); // due up to 120: nothing yet
    assert.deepEqual(read(), []);
    order.pipeInput("b", "o3", 260); // due up to 160: o1, as of 150 → p2
    assert.deepEqual(read(), [["a", "o1|p2", 150]]);
    order.pipeInput("a", "o4", 100); // already due on arrival: joined at once, as of 100 → p1
    assert.deepEqual(read(), [["a", "o4|p1", 100]]);
    order.pipeInput("c", "o5", 400); // due up to 300: o2 (as of 220 → p2), then o3 (b has no price: dropped)
    assert.deepEqual(read(), [["a", "o2|p2", 220]]);
    // What waits is in the buffer store (with its changelog): o5, plus the buffer's stream time.
    assert.equal(driver.getKeyValueStore("priced-buffer").approximateNumEntries(), 2);
  } finally {
    driver.close();
  }
});

test("records of one timestamp leave the grace buffer in arrival order, with their headers", () => {
  const b = new StreamsBuilder();
  const prices = b.table("prices", { ...strings, store: "prices", versioned: { historyRetention: 1000 } });
  b.stream("orders", strings)
    .leftJoin(prices, (o, p) => `${o}|${p}`, { gracePeriod: 10 })
    .to("joined", strings);
  const driver = new TopologyTestDriver(b.build());
  try {
    const order = driver.createInputTopic("orders", s, s);
    order.pipeInput("a", "first", 100, { h: Buffer.from("1") });
    order.pipeInput("a", "second", 100);
    order.pipeInput("z", "tick", 110);
    const out = driver.createOutputTopic("joined", s, s).readRecordsToList();
    assert.deepEqual(out.map((r) => [r.key, r.value, r.timestamp]), [
      ["a", "first|null", 100],
      ["a", "second|null", 100],
    ]);
    assert.deepEqual(out[0]!.headers, { h: Buffer.from("1") });
  } finally {
    driver.close();
  }
});

test("a grace period needs a versioned table whose history retention covers it", () => {
  const b = new StreamsBuilder();
  const plain = b.table("plain", strings);
  const versioned = b.table("versioned", { ...strings, versioned: { historyRetention: 50 } });
  const orders = b.stream("orders", strings);
  assert.throws(() => orders.join(plain, (o, p) => `${o}${p}`, { gracePeriod: 10 }), /needs a versioned table/);
  assert.throws(() => orders.join(versioned, (o, p) => `${o}${p}`, { gracePeriod: 60 }), /must not exceed the table's history retention/);
});

test("describe shows the versioned table's store and the join's grace buffer", () => {
  const b = new StreamsBuilder();
  const prices = b.table("prices", { ...strings, store: "prices", versioned: { historyRetention: 1000 } });
  b.stream("orders", strings).join(prices, (o, p) => `${o}|${p}`, { name: "priced", gracePeriod: 100 }).to("joined", strings);
  const text = b.build().describe();
  assert.match(text, /Processor: KTABLE-SOURCE-\d+ \(stores: \[prices\]\)/);
  assert.match(text, /Processor: priced \(stores: \[prices, priced-buffer\]\)/);
});

test("toTable can be versioned: a stream read as a table with history, joined as of the stream record's time", () => {
  const b = new StreamsBuilder();
  const prices = b
    .stream("price-events", strings)
    .mapValues((v) => v.toUpperCase())
    .toTable({ store: "prices", value: s, versioned: { historyRetention: 1000 } });
  prices.toStream().to("updates", strings);
  b.stream("orders", strings).join(prices, (o, p) => `${o}|${p}`).to("joined", strings);
  const driver = new TopologyTestDriver(b.build());
  try {
    const price = driver.createInputTopic("price-events", s, s);
    price.pipeInput("a", "p1", 100);
    price.pipeInput("a", "p3", 300);
    price.pipeInput("a", "p2", 200);
    driver.createInputTopic("orders", s, s).pipeInput("a", "o", 250);
    assert.deepEqual(records(driver, "updates"), [
      ["a", "P1", 100],
      ["a", "P3", 300],
      ["a", "P2", 200],
    ]);
    assert.deepEqual(records(driver, "joined"), [["a", "o|P2", 250]]);
    assert.deepEqual(driver.getVersionedKeyValueStore<string, string>("prices").get("a", 250), { value: "P2", timestamp: 200, validTo: 300 });
  } finally {
    driver.close();
  }
});

test("a versioned table's out-of-order update reaches toStream through mapValues and filter, and no join or groupBy of its current rows", () => {
  const b = new StreamsBuilder();
  const prices = b.table("prices", { ...strings, store: "prices", versioned: { historyRetention: 1000 } });
  prices
    .mapValues((v) => v.toUpperCase())
    .filter((_k, v) => v !== "P0")
    .toStream()
    .to("updates", strings);
  prices.join(b.table("names", { ...strings, store: "names" }), (p, n) => `${n}:${p}`).toStream().to("joined", strings);
  prices
    .groupBy((_k, v) => [v, v] as const, { key: s, value: s })
    .count({ store: "by-price" })
    .toStream()
    .to("counts", { key: s, value: serdes.int64() });
  const driver = new TopologyTestDriver(b.build());
  try {
    driver.createInputTopic("names", s, s).pipeInput("a", "ann", 0);
    const price = driver.createInputTopic("prices", s, s);
    price.pipeInput("a", "p1", 100);
    price.pipeInput("a", "p3", 300);
    price.pipeInput("a", "p2", 200); // older than the newest: a's current row stays p3
    price.pipeInput("a", "p0", 150); // filtered out: a tombstone for toStream (nothing held it back), current row unchanged
    assert.deepEqual(records(driver, "updates"), [
      ["a", "P1", 100],
      ["a", "P3", 300],
      ["a", "P2", 200],
      ["a", null, 150],
    ]);
    assert.deepEqual(records(driver, "joined"), [
      ["a", "ann:p1", 100],
      ["a", "ann:p3", 300],
    ]);
    assert.deepEqual(driver.getKeyValueStore<string, number>("by-price").get("p3"), 1);
    assert.equal(driver.getKeyValueStore<string, number>("by-price").get("p2"), undefined);
  } finally {
    driver.close();
  }
});
