import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { globalBatch, joinTask, strings } from "../processor/join-test-fixtures.ts";
import { StreamsBuilder } from "../topology/streams-builder.ts";
import type { Topology } from "../topology/topology.ts";
import { GlobalStores, globalStatePath } from "./global-store.ts";

function productsTopology(left = false): Topology {
  const b = new StreamsBuilder();
  const products = b.globalTable("products", { ...strings, store: "products-store" });
  const orders = b.stream("orders", strings);
  // The order's value is "<productId>:<qty>"; the product is looked up by the id, not the order's key.
  const byProduct = (_k: string, v: string) => v.split(":")[0]!;
  (left ? orders.leftJoin(products, byProduct, (o, p) => `${o}=${p}`) : orders.join(products, byProduct, (o, p) => `${o}=${p}`)).to("out", strings);
  return b.build();
}

function withDir(run: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), "weir-global-"));
  try {
    run(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test("a global store restored into a SQLite file holds every partition's rows and offsets after reopening", () => {
  withDir((dir) => {
    const path = globalStatePath(dir, "app");
    const defs = productsTopology().globalStores;
    const first = GlobalStores.open(path, defs, 1 << 20);
    assert.equal(first.position("products", 0), undefined);
    first.apply("products", 0, globalBatch(0, [["p1", "pen"], ["p2", "ink"], ["p1", "pencil"]]));
    first.apply("products", 1, globalBatch(0, [["p3", "pad"], ["p2", null]]));
    first.close();

    const reopened = GlobalStores.open(path, defs, 1 << 20);
    const store = reopened.stores.get("products-store")!;
    assert.equal(store.get("p1"), "pencil");
    assert.equal(store.get("p2"), undefined);
    assert.equal(store.get("p3"), "pad");
    assert.equal(reopened.position("products", 0), "3");
    assert.equal(reopened.position("products", 1), "2");
    assert.equal(reopened.caughtUp(new Map([["products:0", "3"], ["products:1", "2"]])), true);
    assert.equal(reopened.caughtUp(new Map([["products:0", "4"], ["products:1", "2"]])), false);
    reopened.close();
  });
});

test("records below the store's position are not applied again", () => {
  const global = GlobalStores.open(":memory:", productsTopology().globalStores, 1 << 20);
  global.apply("products", 0, globalBatch(0, [["p1", "pen"], ["p1", "pencil"]]));
  // Fetched again from an older offset (before a seek took effect): the newer value stays.
  assert.equal(global.apply("products", 0, globalBatch(0, [["p1", "pen"]])), 0);
  assert.equal(global.stores.get("products-store")!.get("p1"), "pencil");
  global.close();
});

test("transaction markers move the position without a record", () => {
  const global = GlobalStores.open(":memory:", productsTopology().globalStores, 1 << 20);
  global.apply("products", 0, globalBatch(0, [["p1", "pen"]]));
  global.movedPast("products", 0, "1");
  assert.equal(global.caughtUp(new Map([["products:0", "2"]])), true);
  global.close();
});

test("a checkpoint past the topic's end (the topic was recreated) is reported", () => {
  const global = GlobalStores.open(":memory:", productsTopology().globalStores, 1 << 20);
  global.apply("products", 0, globalBatch(0, [["p1", "pen"], ["p2", "ink"]]));
  assert.equal(global.checkpointBeyond(new Map([["products:0", "2"]])), undefined);
  assert.match(global.checkpointBeyond(new Map([["products:0", "1"]])) ?? "", /products:0 checkpoint 2 is past the topic's end 1/);
  global.close();
});

test("tasks see a global store read-only", () => {
  const global = GlobalStores.open(":memory:", productsTopology().globalStores, 1 << 20);
  assert.throws(() => global.stores.get("products-store")!.put("p1", "x"), /global store products-store is read-only/);
  global.close();
});

test("a stream–global-table inner join looks up the key derived from each record, from a restored file", () => {
  withDir((dir) => {
    const path = globalStatePath(dir, "app");
    const restored = GlobalStores.open(path, productsTopology().globalStores, 1 << 20);
    restored.apply("products", 0, globalBatch(0, [["p1", "pen"]]));
    restored.apply("products", 1, globalBatch(0, [["p2", "ink"]]));
    restored.close();
    const global = GlobalStores.open(path, productsTopology().globalStores, 1 << 20);
    const t = joinTask((b) => {
      const products = b.globalTable("products", { ...strings, store: "products-store" });
      b.stream("orders", strings)
        .join(products, (_k, v) => v.split(":")[0]!, (o, p) => `${o}=${p}`)
        .to("out", strings);
    }, global);
    t.pipe("orders", "o1", "p1:2");
    t.pipe("orders", "o2", "p9:1");
    t.pipe("orders", "o3", "p2:5");
    global.apply("products", 0, globalBatch(1, [["p9", "pad"]]));
    t.pipe("orders", "o4", "p9:1");
    assert.deepEqual(t.outputs, [
      ["out", "o1", "p1:2=pen"],
      ["out", "o3", "p2:5=ink"],
      ["out", "o4", "p9:1=pad"],
    ]);
    global.close();
  });
});

test("a stream–global-table left join joins a record without a row with null", () => {
  const t = joinTask((b) => {
    const products = b.globalTable("products", { ...strings, store: "products-store" });
    b.stream("orders", strings)
      .leftJoin(products, (_k, v) => v.split(":")[0]!, (o, p) => `${o}=${p}`)
      .to("out", strings);
  });
  t.pipe("orders", "o1", "p1:2");
  assert.deepEqual(t.outputs, [["out", "o1", "p1:2=null"]]);
});

test("a global table belongs to no sub-topology and is listed by describe()", () => {
  const topology = productsTopology();
  assert.equal(topology.subTopologies.length, 1);
  assert.deepEqual(topology.subTopologies[0]!.sourceTopics, ["orders"]);
  assert.deepEqual(topology.subTopologies[0]!.stores, []);
  assert.deepEqual(topology.globalTopics(), ["products"]);
  assert.match(topology.describe(), /Global store: products-store \(topic: products\)/);
});

test("a topic read both as a global table and as a stream is refused", () => {
  const b = new StreamsBuilder();
  b.globalTable("products", { ...strings, store: "g" });
  b.stream("products", strings).to("out", strings);
  assert.throws(() => b.build(), /topic products of global table g is read elsewhere too/);
});
