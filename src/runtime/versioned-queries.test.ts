import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { serdes } from "../serdes/serde.ts";
import { StateFile } from "../state/state-file.ts";
import { StreamsBuilder } from "../topology/streams-builder.ts";
import { InstanceMap } from "./instance-map.ts";
import { InteractiveQueries } from "./interactive-queries.ts";

function topology() {
  const b = new StreamsBuilder();
  b.table("prices", { key: serdes.string(), value: serdes.string(), store: "prices", versioned: { historyRetention: 100 } });
  b.table("plain", { key: serdes.string(), value: serdes.string(), store: "plain" });
  return b.build();
}

/** One task owning the only partition, its versioned store holding committed versions. */
function queries(t: { after(fn: () => void): void }) {
  const dir = mkdtempSync(join(tmpdir(), "weir-vq-"));
  const file = StateFile.open(join(dir, "0_0.sqlite"), { cacheMaxBytes: 1 << 20 });
  const prices = file.versionedStore({ name: "prices", keySerde: serdes.string(), valueSerde: serdes.string(), changelogTopic: "app-prices-changelog", changelogPartition: 0, historyRetentionMs: 100 });
  file.keyValueStore({ name: "plain", keySerde: serdes.string(), valueSerde: serdes.string(), changelogTopic: "app-plain-changelog", changelogPartition: 0 });
  prices.put("pen", "100", 1000);
  prices.put("ink", "7", 1000);
  prices.put("cap", "5", 1000);
  prices.put("pen", "120", 1300);
  prices.put("pen", "110", 1200);
  prices.delete("cap", 1250);
  file.flush();
  file.commit(new Map());
  prices.put("pen", "999", 1400); // not committed: a query never sees it
  t.after(() => {
    file.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const task = { status: "running" as const, readCommitted: file.readCommitted.bind(file) };
  // Each table is its own sub-topology; both tasks' stores are in this one file.
  const map = new InstanceMap(new Map([[0, 1], [1, 1]]), new Map([["0_0", "me:1"], ["1_0", "me:1"]]));
  return new InteractiveQueries({
    topology: topology(),
    applicationId: "app",
    host: { applicationServer: () => "me:1", instanceMap: () => map, task: (id) => (id === "0_0" || id === "1_0" ? task : undefined) },
    timeoutMs: 1000,
    remote: () => Promise.reject(new Error("one instance: nothing is forwarded")),
  });
}

test("a versioned store answers a key's newest committed version, or the version valid as of a time", async (t) => {
  const iq = queries(t);
  const newest = await iq.query({ query: { kind: "key", store: "prices", key: "pen" } });
  assert.deepEqual(newest, { status: 200, body: { store: "prices", key: "pen", value: "120", timestamp: 1300 } });
  const then = await iq.query({ query: { kind: "key", store: "prices", key: "pen", asOf: "1250" } });
  assert.deepEqual(then.body, { store: "prices", key: "pen", value: "110", timestamp: 1200, validTo: 1300 });
  assert.equal((await iq.query({ query: { kind: "key", store: "prices", key: "pen", asOf: "999" } })).status, 404, "before the first version");
  assert.equal((await iq.query({ query: { kind: "key", store: "prices", key: "pen", asOf: "1100" } })).status, 404, "1100 < stream time 1300 − retention 100: only a newest version older than 1100 would answer");
  assert.equal((await iq.query({ query: { kind: "key", store: "prices", key: "cap" } })).status, 404, "the newest version is a tombstone");
  const newestPastRetention = await iq.query({ query: { kind: "key", store: "prices", key: "ink", asOf: "1100" } });
  assert.deepEqual(newestPastRetention.body, { store: "prices", key: "ink", value: "7", timestamp: 1000 }, "a key's newest version answers past the retention");
});

test("asOf is refused on a key-value store, and scans on a versioned store", async (t) => {
  const iq = queries(t);
  const plain = await iq.query({ query: { kind: "key", store: "plain", key: "pen", asOf: "1" } });
  assert.equal(plain.status, 400);
  assert.match(JSON.stringify(plain.body), /asOf reads a versioned store/);
  const scan = await iq.query({ query: { kind: "all", store: "prices", limit: 10 } });
  assert.equal(scan.status, 400);
  assert.match(JSON.stringify(scan.body), /versioned store: it answers key queries, not all/);
  const bad = await iq.query({ query: { kind: "key", store: "prices", key: "pen", asOf: "noon" } });
  assert.equal(bad.status, 400);
});
