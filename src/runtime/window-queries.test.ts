import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { serdes } from "../serdes/serde.ts";
import { StateFile } from "../state/state-file.ts";
import { StreamsBuilder } from "../topology/streams-builder.ts";
import { SessionWindows, TimeWindows } from "../topology/windows.ts";
import { InstanceMap } from "./instance-map.ts";
import { InteractiveQueries } from "./interactive-queries.ts";

const MINUTE = 60_000;

function topology() {
  const b = new StreamsBuilder();
  const clicks = b.stream("clicks", { key: serdes.string(), value: serdes.string() }).groupByKey();
  clicks.windowedBy(TimeWindows.ofSizeWithNoGrace(MINUTE)).count({ store: "per-minute" });
  clicks.windowedBy(SessionWindows.ofInactivityGapWithNoGrace(5 * MINUTE)).count({ store: "sessions" });
  return b.build();
}

/** One task owning the only partition, its window and session stores holding committed counts. */
function queries(t: { after(fn: () => void): void }) {
  const dir = mkdtempSync(join(tmpdir(), "weir-wq-"));
  const file = StateFile.open(join(dir, "0_0.sqlite"), { cacheMaxBytes: 1 << 20 });
  const base = { keySerde: serdes.string(), valueSerde: serdes.int64(), changelogPartition: 0, retentionMs: Number.POSITIVE_INFINITY };
  const windows = file.windowStore({ ...base, name: "per-minute", changelogTopic: "app-per-minute-changelog", windowSizeMs: MINUTE });
  const sessions = file.sessionStore({ ...base, name: "sessions", changelogTopic: "app-sessions-changelog" });
  windows.put("alice", 0, 3, 59_000);
  windows.put("alice", MINUTE, 5, MINUTE + 1);
  windows.put("alice", 2 * MINUTE, 1, 2 * MINUTE);
  windows.put("bob", 0, 7, 10);
  sessions.put("alice", 0, 90_000, 4);
  file.commit(new Map());
  windows.put("alice", 0, 99, 59_500); // not committed: a query never sees it
  t.after(() => {
    file.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const task = { status: "running" as const, readCommitted: file.readCommitted.bind(file) };
  const map = new InstanceMap(new Map([[0, 1]]), new Map([["0_0", "me:1"]]));
  return new InteractiveQueries({
    topology: topology(),
    applicationId: "app",
    host: { applicationServer: () => "me:1", instanceMap: () => map, task: (id) => (id === "0_0" ? task : undefined) },
    timeoutMs: 1000,
    remote: () => Promise.reject(new Error("one instance: nothing is forwarded")),
  });
}

test("a window store answers a key's committed windows between two starts, each with its start and end", async (t) => {
  const iq = queries(t);
  const all = await iq.query({ query: { kind: "windows", store: "per-minute", key: "alice", limit: 10 } });
  assert.equal(all.status, 200, JSON.stringify(all.body));
  assert.deepEqual((all.body as { entries: unknown[] }).entries, [
    { key: "alice", window: { start: 0, end: MINUTE }, value: 3 },
    { key: "alice", window: { start: MINUTE, end: 2 * MINUTE }, value: 5 },
    { key: "alice", window: { start: 2 * MINUTE, end: 3 * MINUTE }, value: 1 },
  ]);
  const some = await iq.query({ query: { kind: "windows", store: "per-minute", key: "alice", from: String(MINUTE), to: String(2 * MINUTE), limit: 1 } });
  assert.deepEqual(some.body, { store: "per-minute", entries: [{ key: "alice", window: { start: MINUTE, end: 2 * MINUTE }, value: 5 }], truncated: true });
});

test("a session store answers a key's sessions; a bad time bound is 400 and a key query on a window store is 400", async (t) => {
  const iq = queries(t);
  const sessions = await iq.query({ query: { kind: "windows", store: "sessions", key: "alice", limit: 10 } });
  assert.deepEqual((sessions.body as { entries: unknown[] }).entries, [{ key: "alice", window: { start: 0, end: 90_000 }, value: 4 }]);
  const bad = await iq.query({ query: { kind: "windows", store: "per-minute", key: "alice", from: "yesterday", limit: 10 } });
  assert.equal(bad.status, 400);
  assert.match(JSON.stringify(bad.body), /from must be epoch milliseconds/);
  const wrongKind = await iq.query({ query: { kind: "key", store: "per-minute", key: "alice" } });
  assert.equal(wrongKind.status, 400);
  assert.match(JSON.stringify(wrongKind.body), /window store: it answers windows queries, not key/);
});
