import { test } from "node:test";
import assert from "node:assert/strict";
import { serdes } from "../serdes/serde.ts";
import { TopologyTestDriver } from "../testing/topology-test-driver.ts";
import { StreamsBuilder } from "./streams-builder.ts";

const strings = { key: serdes.string(), value: serdes.string() };

interface Account {
  readonly region: string;
  readonly balance: number;
}

test("table.groupBy().count(): a row that moves is subtracted from its old group first; an update within its group emits once", () => {
  const b = new StreamsBuilder();
  b.table("users", { ...strings, store: "users" })
    .groupBy((_user, country) => [country, 1] as const, { name: "by-country", key: serdes.string(), value: serdes.int64() })
    .count({ store: "users-per-country" })
    .toStream()
    .to("counts", { key: serdes.string(), value: serdes.int64() });
  const driver = new TopologyTestDriver(b.build());
  try {
    const users = driver.createInputTopic("users", serdes.string(), serdes.string());
    users.pipeInput("alice", "DE", 1000);
    users.pipeInput("bob", "DE", 2000);
    users.pipeInput("alice", "FR", 3000); // DE loses alice before FR gains her
    users.pipeInput("bob", "DE", 4000); // same group: subtract and add in one step, one result
    users.pipeInput("bob", null, 5000); // deleted: DE falls to 0 and stays (a count is not deleted)
    users.pipeInput("carol", null, 6000); // never had a row: nothing to subtract, nothing emitted
    const out = driver.createOutputTopic("counts", serdes.string(), serdes.int64()).readRecordsToList();
    assert.deepEqual(
      out.map((r) => [r.key, r.value, r.timestamp]),
      [
        ["DE", 1, 1000],
        ["DE", 2, 2000],
        ["DE", 1, 3000],
        ["FR", 1, 3000],
        ["DE", 1, 4000],
        ["DE", 0, 5000],
      ],
    );
    const store = driver.getKeyValueStore<string, number>("users-per-country");
    assert.equal(store.get("DE"), 0);
    assert.equal(store.get("FR"), 1);
  } finally {
    driver.close();
  }
});

test("table.groupBy().reduce(adder, subtractor): sums per group; a subtractor returning null deletes the group with a tombstone", () => {
  const b = new StreamsBuilder();
  b.table("accounts", { key: serdes.string(), value: serdes.json<Account>(), store: "accounts" })
    .groupBy((_id, a) => [a.region, a.balance] as const, { name: "by-region", key: serdes.string(), value: serdes.float64() })
    .reduce(
      (sum, v) => sum + v,
      (sum, v) => (sum - v === 0 ? null : sum - v),
      { store: "balance-per-region" },
    )
    .toStream()
    .to("balances", { key: serdes.string(), value: serdes.float64() });
  const driver = new TopologyTestDriver(b.build());
  try {
    const accounts = driver.createInputTopic("accounts", serdes.string(), serdes.json<Account>());
    accounts.pipeInput("a", { region: "eu", balance: 10 });
    accounts.pipeInput("b", { region: "eu", balance: 5 });
    accounts.pipeInput("a", { region: "us", balance: 7 }); // eu 15 − 10 = 5, then us 7
    accounts.pipeInput("a", { region: "us", balance: 9 }); // us 7 − 7 + 9 = 9 in one step
    accounts.pipeInput("b", null); // eu 5 − 5 = 0 → null: the group is deleted
    assert.deepEqual(driver.createOutputTopic("balances", serdes.string(), serdes.float64()).readKeyValuesToList(), [
      { key: "eu", value: 10 },
      { key: "eu", value: 15 },
      { key: "eu", value: 5 },
      { key: "us", value: 7 },
      { key: "us", value: 9 },
      { key: "eu", value: null },
    ]);
    assert.equal(driver.getKeyValueStore<string, number>("balance-per-region").get("eu"), undefined);
  } finally {
    driver.close();
  }
});

test("table.groupBy().aggregate(): the members of each group, following renames and deletes", () => {
  const b = new StreamsBuilder();
  b.table("members", { ...strings, store: "members" })
    .groupBy((name, team) => [team, name] as const, { key: serdes.string(), value: serdes.string() })
    .aggregate(
      (): string[] => [],
      (_team, name, list) => [...list, name].sort(),
      (_team, name, list) => list.filter((n) => n !== name),
      { store: "team-members", value: serdes.json<string[]>() },
    )
    .toStream()
    .to("teams", { key: serdes.string(), value: serdes.json<string[]>() });
  const driver = new TopologyTestDriver(b.build());
  try {
    const members = driver.createInputTopic("members", serdes.string(), serdes.string());
    members.pipeInput("zoe", "red");
    members.pipeInput("adam", "red");
    members.pipeInput("zoe", "blue");
    members.pipeInput("adam", null);
    assert.deepEqual(driver.createOutputTopic("teams", serdes.string(), serdes.json<string[]>()).readKeyValuesToList(), [
      { key: "red", value: ["zoe"] },
      { key: "red", value: ["adam", "zoe"] },
      { key: "red", value: ["adam"] },
      { key: "blue", value: ["zoe"] },
      { key: "red", value: [] },
    ]);
  } finally {
    driver.close();
  }
});

test("table.groupBy() on a derived table (mapValues, filter) needs no store of its own: the grouping keeps each row's pair", () => {
  const b = new StreamsBuilder();
  b.table("users", { ...strings, store: "users" })
    .filter((_u, country) => country !== "XX")
    .mapValues((country) => country.toLowerCase())
    .groupBy((_user, country) => [country, 1] as const, { name: "by-country", key: serdes.string(), value: serdes.int64() })
    .count({ store: "per-country" })
    .toStream()
    .to("counts", { key: serdes.string(), value: serdes.int64() });
  const driver = new TopologyTestDriver(b.build());
  try {
    const users = driver.createInputTopic("users", serdes.string(), serdes.string());
    users.pipeInput("u1", "DE");
    users.pipeInput("u1", "XX"); // filtered out: a tombstone reaches the grouping, de loses u1
    users.pipeInput("u2", "XX"); // filtered out and never counted: nothing
    assert.deepEqual(driver.createOutputTopic("counts", serdes.string(), serdes.int64()).readKeyValuesToList(), [
      { key: "de", value: 1 },
      { key: "de", value: 0 },
    ]);
  } finally {
    driver.close();
  }
});

test("describe() shows the grouping: select node with its store, the repartition topic of changes, the table aggregation", () => {
  const b = new StreamsBuilder();
  b.table("users", { ...strings, store: "users" })
    .groupBy((_user, country) => [country, 1] as const, { name: "by-country", key: serdes.string(), value: serdes.int64() })
    .count({ store: "users-per-country" });
  const text = b.build().forApplication("app").describe();
  assert.match(text, /Processor: by-country-select \(stores: \[by-country-prior\]\)/);
  assert.match(text, /Sink: by-country-repartition-sink \(topic: app-by-country-repartition\)/);
  assert.match(text, /Source: by-country-repartition-source \(topics: \[app-by-country-repartition\]\)/);
  assert.match(text, /Processor: KTABLE-AGGREGATE-\d+ \(stores: \[users-per-country\]\)/);
});

test("table.groupBy() without value serdes is refused at build time", () => {
  const b = new StreamsBuilder();
  const t = b.table("users", { ...strings, store: "users" });
  // @ts-expect-error both serdes are required
  assert.throws(() => t.groupBy((_u, c) => [c, 1] as const, { key: serdes.string() }), /needs \{ key, value \} serdes/);
});
