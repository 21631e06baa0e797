import assert from "node:assert/strict";
import { test } from "node:test";
import { serdes } from "../serdes/serde.ts";
import { bytesSerde, bytesStore, entries, hex, openFile, stringStore, tempDir } from "./test-fixtures.ts";

test("put then get returns the value, and an unknown key is undefined", (t) => {
  const store = stringStore(openFile(t, tempDir(t)));
  store.put("a", "1");
  assert.equal(store.get("a"), "1");
  assert.equal(store.get("b"), undefined);
});

test("delete removes the key and returns the value it had", (t) => {
  const store = stringStore(openFile(t, tempDir(t)));
  store.put("a", "1");
  assert.equal(store.delete("a"), "1");
  assert.equal(store.get("a"), undefined);
  assert.equal(store.delete("a"), undefined);
});

test("putIfAbsent stores only into an empty key and returns what was there", (t) => {
  const store = stringStore(openFile(t, tempDir(t)));
  assert.equal(store.putIfAbsent("a", "1"), undefined);
  assert.equal(store.putIfAbsent("a", "2"), "1");
  assert.equal(store.get("a"), "1");
});

test("putting null deletes the key, as in Kafka Streams", (t) => {
  const store = stringStore(openFile(t, tempDir(t)));
  store.put("a", "1");
  store.put("a", null as unknown as string);
  assert.equal(store.get("a"), undefined);
});

test("get returns the object that was put, and mutating it later does not change the stored bytes", (t) => {
  const file = openFile(t, tempDir(t));
  const store = file.keyValueStore({ name: "objs", keySerde: serdes.string(), valueSerde: serdes.json<{ n: number }>(), changelogTopic: "c", changelogPartition: 0 });
  const value = { n: 1 };
  store.put("a", value);
  assert.equal(store.get("a"), value);
  value.n = 2;
  assert.equal(file.flush()[0]!.value!.toString(), '{"n":1}');
});

test("all, range and prefixScan return entries in unsigned byte order, bytes ≥ 0x80 after lower ones", (t) => {
  const store = bytesStore(openFile(t, tempDir(t)));
  const keys = [hex(0xff), hex(0x80), hex(0x7f), hex(0x01, 0x00), hex(0x01), hex(0x00), hex(0x80, 0x01)];
  for (const k of keys) store.put(k, k.toString("hex"));
  const order = ["00", "01", "0100", "7f", "80", "8001", "ff"];
  assert.deepEqual(entries(store.all()).map(([, v]) => v), order);
  assert.deepEqual(entries(store.range(undefined, undefined)).map(([, v]) => v), order);
  assert.deepEqual(entries(store.range(hex(0x01), hex(0x80))).map(([, v]) => v), ["01", "0100", "7f", "80"]);
  assert.deepEqual(entries(store.prefixScan(hex(0x80), bytesSerde)).map(([, v]) => v), ["80", "8001"]);
});

test("range bounds are inclusive and either may be left open", (t) => {
  const store = stringStore(openFile(t, tempDir(t)));
  for (const k of ["a", "b", "c", "d"]) store.put(k, k);
  assert.deepEqual(entries(store.range("b", "c")).map(([k]) => k), ["b", "c"]);
  assert.deepEqual(entries(store.range(undefined, "b")).map(([k]) => k), ["a", "b"]);
  assert.deepEqual(entries(store.range("c", undefined)).map(([k]) => k), ["c", "d"]);
});

test("a range whose from is above its to is empty", (t) => {
  const store = stringStore(openFile(t, tempDir(t)));
  for (const k of ["a", "b", "c"]) store.put(k, k);
  assert.deepEqual(entries(store.range("c", "a")), []);
});

test("a prefix ending in 0xff bytes stops at the next prefix, and an all-0xff prefix runs to the end", (t) => {
  const store = bytesStore(openFile(t, tempDir(t)));
  const keys = [hex(0x01, 0xfe), hex(0x01, 0xff), hex(0x01, 0xff, 0x00), hex(0x01, 0xff, 0xff, 0x07), hex(0x02), hex(0xff), hex(0xff, 0xff, 0x01)];
  for (const k of keys) store.put(k, k.toString("hex"));
  assert.deepEqual(entries(store.prefixScan(hex(0x01, 0xff), bytesSerde)).map(([, v]) => v), ["01ff", "01ff00", "01ffff07"]);
  assert.deepEqual(entries(store.prefixScan(hex(0xff, 0xff), bytesSerde)).map(([, v]) => v), ["ffff01"]);
  assert.deepEqual(entries(store.prefixScan(hex(0xff), bytesSerde)).map(([, v]) => v), ["ff", "ffff01"]);
});

test("an empty prefix scans the whole store", (t) => {
  const store = stringStore(openFile(t, tempDir(t)));
  for (const k of ["b", "a"]) store.put(k, k);
  assert.deepEqual(entries(store.prefixScan("", serdes.string())).map(([k]) => k), ["a", "b"]);
});

test("an empty key is stored and sorts first", (t) => {
  const store = stringStore(openFile(t, tempDir(t)));
  store.put("a", "x");
  store.put("", "empty");
  assert.equal(store.get(""), "empty");
  assert.deepEqual(entries(store.all()).map(([k]) => k), ["", "a"]);
});

test("iterators see writes not yet committed, including deletes", (t) => {
  const file = openFile(t, tempDir(t));
  const store = stringStore(file);
  store.put("a", "1");
  store.put("b", "2");
  file.commit(new Map());
  store.put("c", "3");
  store.delete("a");
  store.put("b", "20");
  assert.deepEqual(entries(store.all()), [["b", "20"], ["c", "3"]]);
});

test("an iterator over more rows than one page returns them all, and later pages see writes made while iterating", (t) => {
  const store = stringStore(openFile(t, tempDir(t)));
  for (let i = 0; i < 1500; i++) store.put(`k${String(i).padStart(4, "0")}`, "v");
  let n = 0;
  let sawLateWrite = false;
  for (const [k, v] of store.all()) {
    if (n === 0) store.put("k1499", "late");
    if (k === "k1499") sawLateWrite = v === "late";
    n++;
  }
  assert.equal(n, 1500);
  assert.ok(sawLateWrite);
});

test("an iterator left unfinished does not block the store", (t) => {
  const store = stringStore(openFile(t, tempDir(t)));
  for (let i = 0; i < 600; i++) store.put(`k${i}`, "v");
  const it = store.all();
  it.next();
  store.put("other", "v");
  assert.equal(store.get("other"), "v");
});

test("two stores in one file keep their keys apart", (t) => {
  const file = openFile(t, tempDir(t));
  const a = stringStore(file, "a");
  const b = stringStore(file, "b");
  a.put("k", "in a");
  assert.equal(b.get("k"), undefined);
  assert.deepEqual(entries(b.all()), []);
});

test("approximateNumEntries counts rows and follows inserts and deletes once they reach SQLite", (t) => {
  const file = openFile(t, tempDir(t), 0);
  const store = stringStore(file);
  for (const k of ["a", "b", "c"]) store.put(k, "1");
  assert.equal(store.approximateNumEntries(), 3);
  store.put("a", "2");
  store.delete("b");
  store.put("d", "1");
  assert.equal(store.approximateNumEntries(), 3);
  file.rollback();
  assert.equal(store.approximateNumEntries(), 0);
});
