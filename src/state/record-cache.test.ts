import { test } from "node:test";
import assert from "node:assert/strict";
import { serdes } from "../serdes/serde.ts";
import { RecordCacheBudget, estimateBytes, type CachedContext } from "./record-cache.ts";
import type { KeyValueStore } from "./types.ts";

/** A map-backed store that counts the writes reaching it. */
function mapStore(): KeyValueStore<string, number> & { data: Map<string, number>; writes: number } {
  const data = new Map<string, number>();
  const store = {
    name: "s",
    data,
    writes: 0,
    get: (k: string) => data.get(k),
    put: (k: string, v: number) => {
      store.writes++;
      data.set(k, v);
    },
    putIfAbsent: (k: string, v: number) => (data.has(k) ? data.get(k) : void data.set(k, v)),
    delete: (k: string) => {
      store.writes++;
      const old = data.get(k);
      data.delete(k);
      return old;
    },
    range: () => [...data.entries()].sort()[Symbol.iterator](),
    prefixScan: () => data.entries(),
    all: () => [...data.entries()].sort()[Symbol.iterator](),
    approximateNumEntries: () => data.size,
  };
  return store;
}

type Flushed = [string, number | undefined, number | undefined];

function cached(maxBytes: number) {
  const inner = mapStore();
  const task = new RecordCacheBudget(maxBytes).join();
  const store = task.wrap(inner, serdes.string(), "s-changelog");
  const flushed: Flushed[] = [];
  store.setFlushListener((k, v, prior) => flushed.push([k, v, prior]));
  return { inner, task, store, flushed };
}

test("updates of a key between flushes reach the store and the listener once, with the value before the first", () => {
  const { inner, task, store, flushed } = cached(1 << 20);
  inner.data.set("a", 10);
  store.put("a", 11);
  store.put("a", 12);
  store.put("b", 1);
  assert.equal(store.get("a"), 12, "reads see the cached value");
  assert.equal(inner.writes, 0);
  task.flush();
  assert.deepEqual(flushed, [["a", 12, 10], ["b", 1, undefined]]);
  assert.equal(inner.data.get("a"), 12);
  assert.equal(inner.writes, 2);
  store.put("a", 13);
  task.flush();
  assert.deepEqual(flushed.at(-1), ["a", 13, 12], "the prior of the next flush is the value flushed last");
});

test("past the budget the least recently updated dirty entries are evicted and handed on first", () => {
  const { task, store, flushed } = cached(3 * (1 + 8 + 64));
  store.put("a", 1);
  store.put("b", 1);
  store.put("c", 1);
  store.put("a", 2);
  assert.deepEqual(flushed, []);
  store.put("d", 1);
  assert.deepEqual(flushed, [["b", 1, undefined]], "b, not a: a's update made it the most recent");
  assert.ok(task.bytes <= task.maxBytes);
});

test("a scan sees the dirty entries, which are still handed on at the flush", () => {
  const { task, store, flushed } = cached(1 << 20);
  store.put("b", 2);
  store.put("a", 1);
  assert.deepEqual([...store.all()], [["a", 1], ["b", 2]]);
  assert.deepEqual(flushed, []);
  task.flush();
  assert.deepEqual(flushed, [["b", 2, undefined], ["a", 1, undefined]]);
});

test("a delete is handed on as an undefined value, with the prior", () => {
  const { inner, task, store, flushed } = cached(1 << 20);
  inner.data.set("a", 5);
  assert.equal(store.delete("a"), 5);
  assert.equal(store.get("a"), undefined);
  task.flush();
  assert.deepEqual(flushed, [["a", undefined, 5]]);
  assert.equal(inner.data.has("a"), false);
});

test("clear forgets dirty entries without writing or handing them on", () => {
  const { inner, task, store, flushed } = cached(1 << 20);
  store.put("a", 1);
  task.clear();
  task.flush();
  assert.deepEqual(flushed, []);
  assert.equal(inner.writes, 0);
  assert.equal(store.get("a"), undefined);
  assert.equal(task.dirtyCount(), 0);
});

test("the headers and timestamp of the last update go with the entry", () => {
  const { task, store } = cached(1 << 20);
  const seen: CachedContext[] = [];
  store.setFlushListener((_k, _v, _p, context) => seen.push(context));
  store.putWithContext("a", 1, { headers: { h: Buffer.from("1") }, timestamp: 1 });
  store.putWithContext("a", 2, { headers: { h: Buffer.from("2") }, timestamp: 2 });
  task.flush();
  assert.deepEqual(seen, [{ headers: { h: Buffer.from("2") }, timestamp: 2 }]);
});

test("a key created and deleted between flushes is not handed on", () => {
  const { task, store, flushed } = cached(1 << 20);
  store.put("a", 1);
  store.delete("a");
  task.flush();
  assert.deepEqual(flushed, []);
  assert.equal(task.dirtyCount(), 0);
});

test("the budget is shared equally by the open tasks", () => {
  const budget = new RecordCacheBudget(1000);
  const one = budget.join();
  assert.equal(one.maxBytes, 1000);
  const two = budget.join();
  assert.equal(one.maxBytes, 500);
  assert.equal(two.maxBytes, 500);
  budget.leave(two);
  assert.equal(one.maxBytes, 1000);
  assert.throws(() => new RecordCacheBudget(-1), /≥ 0/);
});

test("keys that are neither strings nor numbers are told apart by their serialized bytes", () => {
  const inner = new Map<string, number>();
  const task = new RecordCacheBudget(1 << 20).join();
  const store = task.wrap<{ id: number }, number>(
    {
      name: "j",
      get: (k) => inner.get(JSON.stringify(k)),
      put: (k, v) => void inner.set(JSON.stringify(k), v),
      putIfAbsent: () => undefined,
      delete: (k) => {
        const old = inner.get(JSON.stringify(k));
        inner.delete(JSON.stringify(k));
        return old;
      },
      range: () => [][Symbol.iterator](),
      prefixScan: () => [][Symbol.iterator](),
      all: () => [][Symbol.iterator](),
      approximateNumEntries: () => inner.size,
    },
    serdes.json<{ id: number }>(),
    "j-changelog",
  );
  store.put({ id: 1 }, 1);
  store.put({ id: 1 }, 2);
  store.put({ id: 2 }, 7);
  assert.equal(task.dirtyCount(), 2);
  task.flush();
  assert.deepEqual([...inner.entries()], [['{"id":1}', 2], ['{"id":2}', 7]]);
});

test("estimated bytes count strings by length, numbers as 8, objects by their fields", () => {
  assert.equal(estimateBytes("abc"), 3);
  assert.equal(estimateBytes(1), 8);
  assert.equal(estimateBytes({ value: 1, timestamp: 2 }), 5 + 8 + 9 + 8 + 8);
  assert.equal(estimateBytes(Buffer.alloc(10)), 10);
  assert.equal(estimateBytes(null), 0);
});
