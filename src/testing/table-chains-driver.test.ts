// Chains on the result of a stream aggregation: re-grouping a count, and re-grouping a table–table join of
// one. In Kafka Streams these need the prior value of each update (sendOldValues, switched on by the
// downstream KTableRepartitionMap); Weir's re-grouping keeps the prior pair in its own store instead. The
// expected outputs are Kafka Streams' (KStreamAggregate, KTableKTableInnerJoin, KTableRepartitionMap with
// KIP-904, KTableAggregate), computed by hand, timestamps included.
import assert from "node:assert/strict";
import { test } from "node:test";
import { serdes } from "../serdes/serde.ts";
import { StreamsBuilder } from "../topology/streams-builder.ts";
import { TopologyTestDriver } from "./topology-test-driver.ts";

const strings = { key: serdes.string(), value: serdes.string() };
const counts = { key: serdes.string(), value: serdes.int64() };

test("stream count re-grouped by its value: an update leaves its old group before it joins the new one, at the largest timestamps", (t) => {
  const b = new StreamsBuilder();
  b.stream("clicks", strings)
    .groupByKey()
    .count({ store: "clicks-per-user" })
    .groupBy((_user, n) => [String(n), 1] as const, { name: "by-count", ...counts })
    .count({ store: "users-per-count" })
    .toStream()
    .to("out", counts);
  const driver = new TopologyTestDriver(b.build());
  t.after(() => driver.close());
  const clicks = driver.createInputTopic("clicks", serdes.string(), serdes.string());
  clicks.pipeInput("u1", "x", 10); // u1 = 1 @10 → "1" = 1
  clicks.pipeInput("u1", "x", 5); // u1 = 2 @10 (the largest) → "1" = 0, then "2" = 1
  clicks.pipeInput("u2", "x", 7); // u2 = 1 @7 → "1" = 1 @ max(7, 10)
  assert.deepEqual(
    driver.createOutputTopic("out", counts.key, counts.value).readRecordsToList().map((r) => [r.key, r.value, r.timestamp]),
    [
      ["1", 1, 10],
      ["1", 0, 10],
      ["2", 1, 10],
      ["1", 1, 10],
    ],
  );
});

test("a table–table join on a count, re-grouped: the joined row's prior value is subtracted, once per update", (t) => {
  const b = new StreamsBuilder();
  const perUser = b.stream("clicks", strings).groupByKey().count({ store: "clicks-per-user" });
  const names = b.table("names", { ...strings, store: "names" });
  perUser
    .join(names, (n, name) => `${name}:${n}`)
    .groupBy((_user, row) => [row.split(":")[1]!, 1] as const, { name: "by-count", ...counts })
    .count({ store: "users-per-count" })
    .toStream()
    .to("out", counts);
  const driver = new TopologyTestDriver(b.build());
  t.after(() => driver.close());
  const clicks = driver.createInputTopic("clicks", serdes.string(), serdes.string());
  const nameInput = driver.createInputTopic("names", serdes.string(), serdes.string());
  nameInput.pipeInput("u1", "A", 0);
  nameInput.pipeInput("u2", "B", 0);
  clicks.pipeInput("u1", "x", 10); // join "A:1" @10 → "1" = 1
  clicks.pipeInput("u1", "x", 5); // u1 = 2 @10, join "A:2" @10 → "1" = 0, "2" = 1
  nameInput.pipeInput("u1", "C", 20); // join "C:2" @20: same group, one change → "2" = 1 @20
  nameInput.pipeInput("u2", null, 30); // u2 has no count: no joined row, nothing
  clicks.pipeInput("u2", "x", 8); // u2 = 1, but no name: an inner join has no row, nothing
  assert.deepEqual(
    driver.createOutputTopic("out", counts.key, counts.value).readRecordsToList().map((r) => [r.key, r.value, r.timestamp]),
    [
      ["1", 1, 10],
      ["1", 0, 10],
      ["2", 1, 10],
      ["2", 1, 20],
    ],
  );
});

test("a left join on a filtered re-grouped count: a group filtered out before it ever matched sends no tombstone", (t) => {
  const b = new StreamsBuilder();
  const perCountry = b
    .table("users", { ...strings, store: "users" })
    .groupBy((_user, country) => [country, 1] as const, { name: "by-country", ...counts })
    .count({ store: "users-per-country" });
  perCountry
    .filter((_country, n) => n >= 2)
    .leftJoin(b.table("country-names", { ...strings, store: "country-names" }), (n, name) => `${n}:${name ?? "?"}`)
    .toStream()
    .to("out", strings);
  const driver = new TopologyTestDriver(b.build());
  t.after(() => driver.close());
  const users = driver.createInputTopic("users", serdes.string(), serdes.string());
  users.pipeInput("alice", "DE", 1000); // DE = 1: filtered out, and DE never had a row: nothing
  users.pipeInput("bob", "DE", 2000); // DE = 2: "2:?"
  users.pipeInput("alice", "FR", 3000); // DE = 1: its row goes (a tombstone); FR = 1 never had one: nothing
  assert.deepEqual(
    driver.createOutputTopic("out", serdes.string(), serdes.string()).readRecordsToList().map((r) => [r.key, r.value, r.timestamp]),
    [
      ["DE", "2:?", 2000],
      ["DE", null, 3000],
    ],
  );
});
