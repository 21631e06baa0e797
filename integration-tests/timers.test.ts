// Per-key event-time timers survive a crash (issue 5): an app emits "inactive" per key 10 s of event time
// after the key's last record; the instance is SIGKILLed mid-way with timers pending, and a new instance
// on an empty state dir (so its timers come from the changelog) finishes the job. Read with read_committed,
// each key's timer output appears exactly once.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { readTopic, TopicWriter, type RecordToWrite } from "../src/kafka/tools.ts";
import { connection, killAll, readSettled, startWeir, StateDirs, TestTopics, uniqueName, type WeirProcess } from "./helpers/cluster.ts";

const topics = new TestTopics();
const stateDirs = new StateDirs();
after(async () => {
  await killAll();
  await topics.drop();
  stateDirs.removeAll();
});

const app = "integration-tests/apps/inactivity.ts";
const keys = 120;
// An hour ago, on a whole second: the broker deletes records older than its retention (7 days) within
// 30 s, and records an hour or more in the future are refused, so event time stays near now.
const base = Math.floor(Date.now() / 1000) * 1000 - 3_600_000;
/** As in the app (importing it would build its topology). */
const inactivityMs = 10_000;

/** Key j sends records at base + 250·j + 0, 1 s and 2 s: its timer is due at base + 250·j + 12 s. */
function records(): { key: string; timestamp: number }[] {
  const all: { key: string; timestamp: number }[] = [];
  for (let j = 0; j < keys; j++) for (const offset of [0, 1000, 2000]) all.push({ key: `key-${j}`, timestamp: base + 250 * j + offset });
  return all.sort((a, b) => a.timestamp - b.timestamp);
}

async function write(topic: string, batch: readonly RecordToWrite[]): Promise<void> {
  const writer = new TopicWriter(connection());
  await writer.connect();
  try {
    await writer.write(topic, batch);
  } finally {
    await writer.close();
  }
}

test("each key's event-time timer fires exactly once across a SIGKILL and a restart on an empty state dir", { timeout: 300_000 }, async () => {
  const input = await topics.create("inactivity-in", 2);
  const output = await topics.create("inactivity-out", 2);
  const applicationId = uniqueName("inactivity");
  topics.adopt(`${applicationId}-last-seen-changelog`);
  topics.adopt(`${applicationId}-inactivity-timers-changelog`);
  const env = {
    INACTIVITY_INPUT_TOPIC: input,
    INACTIVITY_OUTPUT_TOPIC: output,
    WEIR_APPLICATION_ID: applicationId,
    WEIR_SESSION_TIMEOUT_MS: "6000",
    WEIR_HEARTBEAT_INTERVAL_MS: "1000",
  };
  const started: WeirProcess[] = [];
  const tails = () => started.map((p, i) => `--- instance ${i + 1} stderr ends:\n${p.stderr().slice(-3000)}`).join("\n");
  const all = records().map((r) => ({ key: r.key, value: "ping", timestamp: r.timestamp }));
  const firstHalf = all.filter((r) => r.timestamp < base + 15_000);
  const rest = all.filter((r) => r.timestamp >= base + 15_000);

  await write(input, firstHalf);
  const first = startWeir(["run", app], env, { stateDir: stateDirs.create() });
  started.push(first);
  // Some timers have fired and been committed; keys seen after base + 3 s still have theirs pending.
  const early = await readTopic(connection(), output, { count: 5, timeoutMs: 90_000 }).catch((err: unknown) => assert.fail(`${String(err)}\n${tails()}`));
  assert.ok(early.length >= 5);
  // Kill while the instance is busy with the next records.
  const writing = write(input, rest.slice(0, rest.length / 2));
  await new Promise((r) => setTimeout(r, 150));
  const gone = first.exited(10_000);
  first.child.kill("SIGKILL");
  assert.equal(await gone, "SIGKILL");
  await writing;
  // The rest, then one record per partition far in the future: stream time passes every key's timer.
  await write(input, [...rest.slice(rest.length / 2), { key: "sweep-0", value: "ping", timestamp: base + 1_000_000, partition: 0 }, { key: "sweep-1", value: "ping", timestamp: base + 1_000_000, partition: 1 }]);

  const second = startWeir(["run", app], env, { stateDir: stateDirs.create() });
  started.push(second);
  const out = await readSettled(output, keys, 120_000);
  const perKey = new Map<string, number>();
  for (const r of out) perKey.set(r.key!.toString(), (perKey.get(r.key!.toString()) ?? 0) + 1);
  const missing = Array.from({ length: keys }, (_, j) => `key-${j}`).filter((k) => !perKey.has(k));
  const twice = [...perKey].filter(([, n]) => n > 1).map(([k, n]) => `${k}×${n}`);
  assert.deepEqual({ missing, twice }, { missing: [], twice: [] }, tails());
  assert.equal(out.length, keys);
  for (const r of out) {
    const j = Number(r.key!.toString().slice("key-".length));
    const lastSeen = base + 250 * j + 2000;
    assert.deepEqual(JSON.parse(r.value!.toString()), { lastSeen }, `value of ${r.key!.toString()}`);
    assert.equal(r.timestamp, lastSeen + inactivityMs, `timestamp of ${r.key!.toString()}`);
  }
  second.child.kill("SIGTERM");
  assert.equal(await second.exited(30_000), 0, tails());
});
