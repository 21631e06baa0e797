// Issue 15 on the broker: EmitStrategy.onWindowClose for session windows and a bounded suppress buffer
// (maxRecords(2).emitEarlyWhenFull()) through `weir run`, killed with SIGKILL after the first batch was
// committed and restarted on an empty state dir, so the second batch runs on stores restored from their
// changelogs. Expected outputs are worked out by hand below (gap 10 s, no grace: a session closes when the
// store's stream time reaches end + 10.001 s; a held count is due 60 s after its key's first held update).
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { committedOffsets, createTopics, readTopic, TopicWriter } from "../src/kafka/tools.ts";
import type { ConsumedRecord } from "../src/kafka/types.ts";
import { topicEnv } from "./apps/session-suppress-topology.ts";
import { connection, eventually, killAll, readSettled, restoresLogged, startWeir, StateDirs, TestTopics, uniqueName } from "./helpers/cluster.ts";

const topics = new TestTopics();
const stateDirs = new StateDirs();
after(async () => {
  await killAll();
  await topics.drop();
  stateDirs.removeAll();
});

const app = "integration-tests/apps/session-suppress.ts";

test("session onWindowClose and a full suppress buffer that emits early keep their state across a SIGKILL and a restore from the changelogs", async () => {
  const { names, applicationId, env } = await setup("session-suppress");
  const session = (key: string, start: number, end: number, n: number) => [key, `${at(start)}-${at(end)}=${n}`, at(end)];
  const held = (key: string, n: number, s: number) => [key, String(n), at(s)];

  // Batch 1. Buffer (limit 2): a@0 → {a}; b@2 → {a, b}; a@4 → {a=2, b}; c@6 → {a, b, c} is full, so a (due
  // at 60, the earliest) leaves early as a=2. b@20 moves the session store's clock from 6 to 20: b[2,2],
  // a[0,4] and c[6,6] close, by end; b@20 is past b[2,2]'s gap, a new session. Left: buffer {b=2 due 62,
  // c=1 due 66}, session b[20,20] open, stream time 20.
  const batch1 = clicks([["a", 0], ["b", 2], ["a", 4], ["c", 6], ["b", 20]]);
  const sessions1 = [session("b", 2, 2, 1), session("a", 0, 4, 2), session("c", 6, 6, 1)];
  const held1 = [held("a", 2, 4)];
  // Batch 2, after the restore. a@12 is within a[0,4]'s gap but a[0,4] is closed (stream time 20): a session
  // of its own. The buffer is full from its restored entries: {b, c, a=3 due 72} makes b=2 leave early.
  // b@25 extends the restored open session to b[20,25], and the store's clock (25) closes a[12,12]; b=3
  // goes back in, due 85: {c, a, b} makes c leave early. d@40 closes b[20,25]; {a, b, d} makes a=3 leave
  // early. e@90: d[40,40] closes, b=3 is due. A buffer that forgot its restored entries would hold b from
  // 62 on, emit no b=2, and flush b=3, c, a only at e@90.
  const batch2 = clicks([["a", 12], ["b", 25], ["d", 40], ["e", 90]]);
  const sessions2 = [session("a", 12, 12, 1), session("b", 20, 25, 2), session("d", 40, 40, 1)];
  const held2 = [held("b", 2, 20), held("c", 1, 6), held("a", 3, 12), held("b", 3, 25)];

  await write(names.clicks, batch1);
  const first = startWeir(["run", app], env, { stateDir: stateDirs.create() });
  const found = await Promise.all([readTopic(connection(), names.sessions, { count: sessions1.length, timeoutMs: 60_000 }), readTopic(connection(), names.held, { count: held1.length, timeoutMs: 60_000 })]);
  assert.deepEqual(found.map(rows), [sessions1, held1], `the first batch's committed outputs; stderr tail:\n${first.stderr().slice(-2000)}`);
  await eventually("the first batch's input offsets committed", 30_000, async () => (await committedOffsets(connection(), applicationId, names.clicks)).get(0) === String(batch1.length));
  first.child.kill("SIGKILL");
  assert.equal(await first.exited(10_000), "SIGKILL");

  await write(names.clicks, batch2);
  const second = startWeir(["run", app], env, { stateDir: stateDirs.create() });
  const [sessions, heldCounts] = await Promise.all([
    readSettled(names.sessions, sessions1.length + sessions2.length, 60_000),
    readSettled(names.held, held1.length + held2.length, 60_000),
  ]);
  const context = `stderr tail of the restarted app:\n${second.stderr().slice(-2000)}`;
  assert.deepEqual(rows(sessions), [...sessions1, ...sessions2], `sessions, each once, in close order; ${context}`);
  assert.deepEqual(rows(heldCounts), [...held1, ...held2], `held counts; ${context}`);
  // The restarted instance began from an empty state dir: every store came back from its changelog.
  const restored = new Map(restoresLogged(second).map((r) => [r.store, r.restored]));
  for (const store of ["sessions", "clicks", "held"]) assert.ok((restored.get(store) ?? 0) > 0, `store ${store} restored from its changelog (${JSON.stringify([...restored])})`);
  second.child.kill("SIGTERM");
  assert.equal(await second.exited(30_000), 0);
});

test("a full suppress buffer with shutDownWhenFull fails the task: `weir run` exits 1 naming WEIR_STATE_BUFFER_FULL, and nothing is emitted", async () => {
  const { names, env } = await setup("suppress-full");
  await write(names.clicks, clicks([["a", 0], ["b", 1], ["c", 2]]));
  const weir = startWeir(["run", app], { ...env, SESSION_SUPPRESS_WHEN_FULL: "shutDown" }, { stateDir: stateDirs.create() });
  assert.equal(await weir.exited(60_000), 1, `exit code; stderr tail:\n${weir.stderr().slice(-2000)}`);
  assert.match(weir.stderr(), /^weir: WEIR_STATE_BUFFER_FULL: suppress node held \(store held\) is full: it holds 3 records \(maxRecords 2\)/m);
  assert.deepEqual(await readTopic(connection(), names.held, { timeoutMs: 2000 }), [], "a strict buffer emits nothing early");
});

/** One-partition topics, the app's environment, and the internal topics to delete afterwards. */
async function setup(prefix: string): Promise<{ names: Record<keyof typeof topicEnv, string>; applicationId: string; env: Record<string, string> }> {
  const names = { clicks: uniqueName(`${prefix}-clicks`), sessions: uniqueName(`${prefix}-sessions`), held: uniqueName(`${prefix}-held`) };
  await createTopics(connection(), Object.values(names).map((name) => ({ name, partitions: 1 })));
  for (const name of Object.values(names)) topics.adopt(name);
  const applicationId = uniqueName(prefix);
  for (const store of ["sessions", "clicks", "held"]) topics.adopt(`${applicationId}-${store}-changelog`);
  const env: Record<string, string> = {
    WEIR_APPLICATION_ID: applicationId,
    // A restart after a SIGKILL waits for the killed member's session to expire: 6 s (the broker's minimum), not 45 s.
    WEIR_SESSION_TIMEOUT_MS: "6000",
    WEIR_HEARTBEAT_INTERVAL_MS: "1000",
  };
  for (const [logical, variable] of Object.entries(topicEnv) as [keyof typeof topicEnv, string][]) env[variable] = names[logical];
  return { names, applicationId, env };
}

// Event times: seconds after a base ten minutes ago.
const base = Math.floor((Date.now() - 600_000) / 1000) * 1000;
function at(seconds: number): number {
  return base + seconds * 1000;
}

function clicks(seconds: readonly [string, number][]): { key: string; value: string; timestamp: number }[] {
  return seconds.map(([key, s]) => ({ key, value: "click", timestamp: at(s) }));
}

async function write(topic: string, records: readonly { key: string; value: string; timestamp: number }[]): Promise<void> {
  const writer = new TopicWriter(connection());
  await writer.connect();
  try {
    await writer.write(topic, records);
  } finally {
    await writer.close();
  }
}

function rows(records: readonly ConsumedRecord[]): (string | number | null)[][] {
  return records.map((r) => [r.key?.toString("utf8") ?? null, r.value?.toString("utf8") ?? null, r.timestamp]);
}
