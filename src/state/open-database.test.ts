import assert from "node:assert/strict";
import { closeSync, openSync, readFileSync, rmSync, statSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { openDatabase } from "./open-database.ts";
import { StateFile } from "./state-file.ts";
import { openFile, stringStore, tempDir } from "./test-fixtures.ts";

const PAGE = 8192;

/** A committed file of `rows` keys with a checkpoint, closed; returns its path. */
function writtenFile(t: Parameters<typeof openFile>[0], dir: string, rows: number): string {
  const file = openFile(t, dir);
  const store = stringStore(file);
  for (let i = 0; i < rows; i++) store.put(`key-${i}`, "v".repeat(100));
  file.commit(new Map([["app-counts-changelog:0", String(rows)]]));
  const path = file.path;
  file.close();
  return path;
}

/** Garbage that is no valid B-tree page: a byte pattern from a fixed-seed generator. */
function garbage(bytes: number): Buffer {
  const out = Buffer.alloc(bytes);
  let x = 0x2545f491;
  for (let i = 0; i < bytes; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  out.fill(0x5a, 0, 16);
  return out;
}

test("a missing file is created empty and is not reported as rebuilt", (t) => {
  const file = openFile(t, tempDir(t));
  assert.equal(file.rebuilt, false);
  assert.deepEqual(file.checkpoint(), new Map());
});

test("a healthy file opens as it was, not rebuilt", (t) => {
  const dir = tempDir(t);
  writtenFile(t, dir, 100);
  const file = openFile(t, dir);
  assert.equal(file.rebuilt, false);
  assert.equal(stringStore(file).approximateNumEntries(), 100);
});

test("a file with garbage over pages in its middle is detected, replaced by an empty one, and reported rebuilt", (t) => {
  const dir = tempDir(t);
  const path = writtenFile(t, dir, 20_000);
  const pages = Math.floor(statSync(path).size / PAGE);
  assert.ok(pages > 20, `the file has ${pages} pages`);
  const fd = openSync(path, "r+");
  writeSync(fd, garbage(3 * PAGE), 0, 3 * PAGE, Math.floor(pages / 2) * PAGE + 100);
  closeSync(fd);
  const file = openFile(t, dir);
  assert.equal(file.rebuilt, true);
  assert.match(file.rebuildReason!, /quick_check|SQLITE_CORRUPT/);
  assert.deepEqual(file.checkpoint(), new Map());
  assert.equal(stringStore(file).approximateNumEntries(), 0);
});

test("a file of pure garbage is replaced by an empty one and reported rebuilt", (t) => {
  const dir = tempDir(t);
  const path = join(dir, "app", "0_0.sqlite");
  openFile(t, dir).close();
  writeFileSync(path, garbage(64 * 1024));
  const file = openFile(t, dir);
  assert.equal(file.rebuilt, true);
  assert.match(file.rebuildReason!, /SQLITE_NOTADB/);
  stringStore(file).put("a", "1");
  file.commit(new Map([["t:0", "1"]]));
  assert.deepEqual(file.checkpoint(), new Map([["t:0", "1"]]));
});

test("a file held by another open connection is refused with WEIR_STATE_LOCKED and left intact", (t) => {
  const dir = tempDir(t);
  writtenFile(t, dir, 10);
  const holder = openFile(t, dir);
  assert.throws(() => StateFile.open(holder.path, { cacheMaxBytes: 0 }), { code: "WEIR_STATE_LOCKED" });
  assert.equal(stringStore(holder).get("key-3"), "v".repeat(100));
  holder.close();
  const reopened = openFile(t, dir);
  assert.equal(reopened.rebuilt, false);
  assert.equal(stringStore(reopened).approximateNumEntries(), 10);
});

test("a WAL left behind without its database is removed, not replayed into the new file", (t) => {
  const dir = tempDir(t);
  const file = openFile(t, dir);
  stringStore(file).put("old", "1");
  file.commit(new Map([["t:0", "1"]]));
  // While the file is open its WAL holds the commit; keep a copy, as a crash would leave it.
  const path = file.path;
  const wal = readFileSync(`${path}-wal`);
  assert.ok(wal.length > 0);
  file.close();
  rmSync(path);
  writeFileSync(`${path}-wal`, wal);
  const fresh = openFile(t, dir);
  assert.equal(fresh.rebuilt, false);
  assert.deepEqual(fresh.checkpoint(), new Map());
  assert.equal(stringStore(fresh).get("old"), undefined);
});

test("the page cache is the one asked for, 8 MiB by default", (t) => {
  const dir = tempDir(t);
  const cacheKiB = (name: string, bytes?: number) => {
    const { db } = openDatabase(join(dir, name), bytes);
    try {
      return db.pragma("cache_size", { simple: true });
    } finally {
      db.close();
    }
  };
  assert.equal(cacheKiB("default.sqlite"), -8192);
  assert.equal(cacheKiB("small.sqlite", 1 << 20), -1024);
});
