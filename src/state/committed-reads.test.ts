import assert from "node:assert/strict";
import { test } from "node:test";
import { openFile, stringStore, tempDir } from "./test-fixtures.ts";

const cp = new Map([["app-counts-changelog:0", "1"]]);
const text = (b: Buffer | undefined) => b?.toString("utf8");
const rows = (list: [Buffer, Buffer][]) => list.map(([k, v]) => [k.toString("utf8"), v.toString("utf8")]);

test("a committed read does not see writes still in the write cache", async (t) => {
  const file = openFile(t, tempDir(t));
  const store = stringStore(file);
  store.put("a", "1");
  file.commit(cp);
  store.put("a", "2");
  store.put("b", "2");
  assert.equal(await file.readCommitted((v) => text(v.keyValue("counts").get(Buffer.from("a")))), "1");
  assert.equal(await file.readCommitted((v) => text(v.keyValue("counts").get(Buffer.from("b")))), undefined);
});

test("a committed read waits while a SQLite transaction is open, and runs right after the commit", async (t) => {
  const file = openFile(t, tempDir(t), 0);
  const store = stringStore(file);
  store.put("a", "1");
  file.commit(cp);
  store.put("a", "2"); // no cache: the write is in the open SQLite transaction
  let answered = false;
  const read = file.readCommitted((v) => text(v.keyValue("counts").get(Buffer.from("a")))).then((value) => {
    answered = true;
    return value;
  });
  await new Promise((r) => setImmediate(r));
  assert.equal(answered, false);
  file.commit(cp);
  assert.equal(await read, "2");
});

test("a committed read waiting on an open transaction sees the old value after a rollback", async (t) => {
  const file = openFile(t, tempDir(t), 0);
  const store = stringStore(file);
  store.put("a", "1");
  file.commit(cp);
  store.put("a", "2");
  const read = file.readCommitted((v) => text(v.keyValue("counts").get(Buffer.from("a"))));
  file.rollback();
  assert.equal(await read, "1");
});

test("closing the file rejects the reads still waiting with WEIR_STATE_CLOSED", async (t) => {
  const file = openFile(t, tempDir(t), 0);
  stringStore(file).put("a", "1");
  const read = file.readCommitted((v) => v.keyValue("counts").get(Buffer.from("a")));
  file.close();
  await assert.rejects(read, { code: "WEIR_STATE_CLOSED" });
  await assert.rejects(file.readCommitted(() => 1), { code: "WEIR_STATE_CLOSED" });
});

test("committed range and prefix reads are bounded, inclusive and in key order", async (t) => {
  const file = openFile(t, tempDir(t));
  const store = stringStore(file);
  for (const k of ["b", "a", "ab", "ac", "c", "d"]) store.put(k, k.toUpperCase());
  file.commit(cp);
  const [inclusive, unbounded, reversed, prefixed, firstOnly] = await file.readCommitted((v) => {
    const kv = v.keyValue("counts");
    return [
      kv.range(Buffer.from("ab"), Buffer.from("c"), 100),
      kv.range(undefined, undefined, 2),
      kv.range(Buffer.from("c"), Buffer.from("a"), 100),
      kv.prefix(Buffer.from("a"), 100),
      kv.prefix(Buffer.from("a"), 1),
    ];
  });
  assert.deepEqual(rows(inclusive), [["ab", "AB"], ["ac", "AC"], ["b", "B"], ["c", "C"]]);
  assert.deepEqual(rows(unbounded), [["a", "A"], ["ab", "AB"]]);
  assert.deepEqual(rows(reversed), []);
  assert.deepEqual(rows(prefixed), [["a", "A"], ["ab", "AB"], ["ac", "AC"]]);
  assert.deepEqual(rows(firstOnly), [["a", "A"]]);
});

test("a committed read of a store the file does not have fails naming it", async (t) => {
  const file = openFile(t, tempDir(t));
  await assert.rejects(file.readCommitted((v) => v.keyValue("nope")), { code: "WEIR_STATE_STORE_INVALID" });
});
