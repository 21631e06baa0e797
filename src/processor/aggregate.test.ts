import { test } from "node:test";
import assert from "node:assert/strict";
import type { ProducedRecord } from "../kafka/index.ts";
import { ProcessorGraph } from "../runtime/processor-graph.ts";
import { serdes } from "../serdes/serde.ts";
import type { KeyValueStore } from "../state/types.ts";
import { StreamsBuilder } from "../topology/streams-builder.ts";

/** Just enough of a key-value store for operator semantics; the SQLite store has its own tests. */
function mapStore<V>(name: string): KeyValueStore<string, V> {
  const data = new Map<string, V>();
  return {
    name,
    get: (k) => data.get(k),
    put: (k, v) => void data.set(k, v),
    putIfAbsent: (k, v) => (data.has(k) ? data.get(k) : void data.set(k, v)),
    delete: (k) => {
      const old = data.get(k);
      data.delete(k);
      return old;
    },
    range: () => data.entries(),
    prefixScan: () => data.entries(),
    all: () => data.entries(),
    approximateNumEntries: () => data.size,
  };
}

function run(build: (b: StreamsBuilder) => void, input: [string | null, string | null][]) {
  const b = new StreamsBuilder();
  build(b);
  const sub = b.build().subTopologies[0]!;
  const stores = new Map(sub.stores.map((s) => [s.name, mapStore(s.name)]));
  const outputs: ProducedRecord[] = [];
  const task = new ProcessorGraph(sub, 0, "app", { collect: (r) => outputs.push(r) }, stores);
  input.forEach(([k, v], i) =>
    task.process("in", { offset: String(i), key: k === null ? null : Buffer.from(k), value: v === null ? null : Buffer.from(v), timestamp: String(1000 + i) }),
  );
  return { outputs: outputs.map((o) => [o.key?.toString() ?? null, o.value === null ? null : o.value]), task, stores };
}

const strings = { key: serdes.string(), value: serdes.string() };

test("count emits every update of a key, 1, 2, 3, as an int64", () => {
  const { outputs } = run(
    (b) => b.stream("in", strings).groupByKey().count({ store: "counts" }).toStream().to("out", { key: serdes.string(), value: serdes.int64() }),
    [["a", "x"], ["b", "x"], ["a", "y"], ["a", "z"]],
  );
  assert.deepEqual(
    outputs.map(([k, v]) => [k, serdes.int64().deserialize(v as Buffer, "out")]),
    [["a", 1], ["b", 1], ["a", 2], ["a", 3]],
  );
});

test("aggregate folds values into the aggregate stored under the key", () => {
  const { outputs, stores } = run(
    (b) =>
      b
        .stream("in", { key: serdes.string(), value: serdes.json<{ amount: number }>() })
        .groupByKey()
        .aggregate(() => ({ n: 0, sum: 0 }), (_k, v, a) => ({ n: a.n + 1, sum: a.sum + v.amount }), { store: "totals", value: serdes.json() })
        .toStream()
        .to("out", { key: serdes.string(), value: serdes.json() }),
    [["a", '{"amount":5}'], ["a", '{"amount":7}']],
  );
  assert.deepEqual(outputs.map(([, v]) => (v as Buffer).toString()), ['{"n":1,"sum":5}', '{"n":2,"sum":12}']);
  assert.deepEqual(stores.get("totals")!.get("a"), { n: 2, sum: 12 });
});

test("reduce starts from a key's first value", () => {
  const { outputs } = run(
    (b) => b.stream("in", strings).groupByKey().reduce((a, v) => a + v).toStream().to("out", strings),
    [["k", "a"], ["k", "b"], ["k", "c"]],
  );
  assert.deepEqual(outputs.map(([, v]) => (v as Buffer).toString()), ["a", "ab", "abc"]);
});

test("a record with a null key or value is dropped from an aggregation and counted", () => {
  const { outputs, task } = run(
    (b) => b.stream("in", strings).groupByKey().count({ store: "c" }).toStream().to("out", { key: serdes.string(), value: serdes.int64() }),
    [[null, "x"], ["a", null], ["a", "x"]],
  );
  assert.equal(outputs.length, 1);
  assert.equal(task.dropped.get("null key or value in an aggregation"), 2);
});

test("KTable.filter turns a row that stops matching into a tombstone", () => {
  const { outputs } = run(
    (b) =>
      b
        .stream("in", strings)
        .groupByKey()
        .count({ store: "c" })
        .filter((_k, n) => n < 2)
        .toStream()
        .to("out", { key: serdes.string(), value: serdes.int64() }),
    [["a", "x"], ["a", "y"]],
  );
  assert.equal(outputs.length, 2);
  assert.equal(outputs[1]![1], null);
});

test("KTable.mapValues transforms each update", () => {
  const { outputs } = run(
    (b) =>
      b
        .stream("in", strings)
        .groupByKey()
        .count({ store: "c" })
        .mapValues((n) => `seen ${n}`)
        .toStream()
        .to("out", strings),
    [["a", "x"], ["a", "x"]],
  );
  assert.deepEqual(outputs.map(([, v]) => (v as Buffer).toString()), ["seen 1", "seen 2"]);
});

test("groupByKey after a key-changing map needs the serdes of its repartition topic", () => {
  const b = new StreamsBuilder();
  const mapped = b.stream("in", strings).map((k, v): [number, string] => [k.length, v]);
  assert.throws(() => mapped.groupByKey(), /needs \{ key: serde \}/);
  assert.throws(() => mapped.groupByKey({ key: serdes.int64() }), /needs \{ value: serde \}/);
  assert.doesNotThrow(() => mapped.groupByKey({ key: serdes.int64(), value: serdes.string() }));
});

test("describe() lists the store an aggregation uses", () => {
  const b = new StreamsBuilder();
  b.stream("in", strings).groupByKey().count({ store: "counts" }).toStream().to("out", { key: serdes.string(), value: serdes.int64() });
  assert.match(b.build().describe(), /Processor: KSTREAM-AGGREGATE-0000000001 \(stores: \[counts\]\)/);
});

test("two stores with one name are refused", () => {
  const b = new StreamsBuilder();
  const g = b.stream("in", strings).groupByKey();
  g.count({ store: "s" });
  assert.throws(() => g.count({ store: "s" }), /two stores are named s/);
});
