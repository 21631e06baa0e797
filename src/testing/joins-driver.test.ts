import { test } from "node:test";
import assert from "node:assert/strict";
import { serdes } from "../serdes/serde.ts";
import { JoinWindows } from "../topology/join-windows.ts";
import { StreamsBuilder } from "../topology/streams-builder.ts";
import { TopologyTestDriver } from "./topology-test-driver.ts";

const strings = { key: serdes.string(), value: serdes.string() };

test("the test driver runs a stream–table join and a stream–global-table join, global records applied as piped", () => {
  const b = new StreamsBuilder();
  const customers = b.table("customers", { ...strings, store: "customers" });
  const products = b.globalTable("products", { ...strings, store: "products" });
  const orders = b.stream("orders", strings);
  orders.join(customers, (o, c) => `${o}|${c}`).to("by-customer", strings);
  orders.leftJoin(products, (_k, o) => o.split(":")[0]!, (o, p) => `${o}|${p}`).to("by-product", strings);
  const driver = new TopologyTestDriver(b.build());
  try {
    driver.createInputTopic("customers", serdes.string(), serdes.string()).pipeInput("c1", "ann");
    driver.createInputTopic("products", serdes.string(), serdes.string()).pipeInput("p1", "pen");
    const input = driver.createInputTopic("orders", serdes.string(), serdes.string());
    input.pipeInput("c1", "p1:1");
    input.pipeInput("c2", "p2:1");
    assert.deepEqual(driver.createOutputTopic("by-customer", serdes.string(), serdes.string()).readKeyValuesToList(), [{ key: "c1", value: "p1:1|ann" }]);
    assert.deepEqual(driver.createOutputTopic("by-product", serdes.string(), serdes.string()).readKeyValuesToList(), [
      { key: "c1", value: "p1:1|pen" },
      { key: "c2", value: "p2:1|null" },
    ]);
    assert.equal(driver.getKeyValueStore<string, string>("products").get("p1"), "pen");
  } finally {
    driver.close();
  }
});

test("the test driver runs a stream–stream left join, the null result once the window closes", () => {
  const b = new StreamsBuilder();
  b.stream("L", strings).leftJoin(b.stream("R", strings), (l, r) => `${l}+${r}`, JoinWindows.ofTimeDifferenceAndGrace(10, 0)).to("out", strings);
  const driver = new TopologyTestDriver(b.build());
  try {
    const left = driver.createInputTopic("L", serdes.string(), serdes.string());
    const right = driver.createInputTopic("R", serdes.string(), serdes.string());
    left.pipeInput("a", "l1", 100);
    left.pipeInput("b", "l2", 100);
    right.pipeInput("a", "r1", 105);
    right.pipeInput("x", "rx", 121); // 100 + 10 + 10 + 0 < 121: no right record can join l2 any more
    assert.deepEqual(driver.createOutputTopic("out", serdes.string(), serdes.string()).readKeyValuesToList(), [
      { key: "a", value: "l1+r1" },
      { key: "b", value: "l2+null" },
    ]);
  } finally {
    driver.close();
  }
});
