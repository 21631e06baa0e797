// The record cache (statestoreCacheMaxBytes, docs/architecture.md "The record cache") under exactly-once on a real
// broker: the count-and-sum app forwards fewer updates than it reads, yet its last total per key is exactly the one
// the input gives (what the app writes without the cache), also across a SIGKILL in the middle of processing.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { readTopic, tailTopics } from "../src/kafka/tools.ts";
import type { ConsumedRecord } from "../src/kafka/index.ts";
import { connection, eventually, killAll, startWeir, StateDirs, TestTopics, uniqueName, type WeirProcess } from "./helpers/cluster.ts";
import { payments, writePayments, type Payment } from "./helpers/payments.ts";

const topics = new TestTopics();
const stateDirs = new StateDirs();
let stopTail: (() => Promise<void>) | undefined;
after(async () => {
  await stopTail?.();
  await killAll();
  await topics.drop();
  stateDirs.removeAll();
});

interface Totals {
  readonly count: number;
  readonly sum: number;
}

function expectedTotals(input: readonly Payment[]): Map<string, Totals> {
  const out = new Map<string, Totals>();
  for (const p of input) {
    const t = out.get(p.key) ?? { count: 0, sum: 0 };
    out.set(p.key, { count: t.count + 1, sum: t.sum + p.amount });
  }
  return out;
}

/** The last total per key, and the keys whose committed totals ever went down or repeated a count (a double count or a lost update). */
function lastTotals(records: readonly ConsumedRecord[]): { last: Map<string, Totals>; notIncreasing: string[] } {
  const last = new Map<string, Totals>();
  const notIncreasing: string[] = [];
  for (const r of records) {
    const key = r.key!.toString();
    const totals = JSON.parse(r.value!.toString()) as Totals;
    const before = last.get(key);
    if (before && totals.count <= before.count) notIncreasing.push(`${key}: ${before.count} then ${totals.count}`);
    last.set(key, totals);
  }
  return { last, notIncreasing };
}

function differences(expected: ReadonlyMap<string, Totals>, last: ReadonlyMap<string, Totals>): string[] {
  const out: string[] = [];
  for (const [key, want] of expected) {
    const got = last.get(key);
    if (!got || got.count !== want.count || got.sum !== want.sum) out.push(`${key}: want ${JSON.stringify(want)}, got ${JSON.stringify(got)}`);
  }
  return out;
}

/** Reads the committed output until its last total per key is the expected one; returns every record read. */
async function settledOutput(output: string, expected: ReadonlyMap<string, Totals>, started: readonly WeirProcess[]): Promise<ConsumedRecord[]> {
  let records: ConsumedRecord[] = [];
  let wrong: string[] = [];
  try {
    await eventually("the last total of every key as the input gives it", 90_000, async () => {
      records = await readTopic(connection(), output, { timeoutMs: 2000 });
      wrong = differences(expected, lastTotals(records).last);
      return wrong.length === 0;
    });
  } catch (err) {
    const tails = started.map((p, i) => `--- instance ${i + 1} stderr ends:\n${p.stderr().slice(-3000)}`).join("\n");
    assert.fail(`${(err as Error).message}; ${wrong.length} keys differ, e.g. ${wrong.slice(0, 5).join("; ")}\n${tails}`);
  }
  return records;
}

test("with the record cache, fewer updates reach the output, and the last total per key is exact, across a SIGKILL mid-processing", { timeout: 300_000 }, async () => {
  const input = await topics.create("cache-payments", 2);
  const output = await topics.create("cache-totals", 2);
  const applicationId = uniqueName("record-cache");
  topics.adopt(`${applicationId}-totals-changelog`);
  const stateDir = stateDirs.create();
  const env = {
    COUNT_INPUT_TOPIC: input,
    COUNT_OUTPUT_TOPIC: output,
    WEIR_APPLICATION_ID: applicationId,
    WEIR_STATESTORE_CACHE_MAX_BYTES: String(10 * 1024 * 1024),
    // A restart after a SIGKILL waits for the dead member's session to expire: 6 s (the broker's minimum), not 45 s.
    WEIR_SESSION_TIMEOUT_MS: "6000",
    WEIR_HEARTBEAT_INTERVAL_MS: "1000",
  };
  const written = payments({ count: 60_000, keys: 500, seed: 41 });
  await writePayments(input, written);

  // The first instance is killed once some totals are committed, while the rest of the input is in flight.
  const started: WeirProcess[] = [];
  let killedAt = 0;
  stopTail = await tailTopics(connection(), [output], () => {
    const first = started[0];
    if (killedAt === 0 && first?.running()) {
      killedAt = Date.now();
      first.child.kill("SIGKILL");
    }
  });
  started.push(startWeir(["run", "integration-tests/apps/count-and-sum.ts"], env, { stateDir }));
  await eventually("the first committed totals, then the kill", 90_000, () => {
    assert.ok(killedAt > 0 || started[0]!.running(), `the instance exited on its own:\n${started[0]!.stderr().slice(-3000)}`);
    return killedAt > 0;
  });
  await started[0]!.exited(10_000);
  await stopTail();
  stopTail = undefined;

  const more = payments({ count: 10_000, keys: 500, seed: 42, everyKey: false });
  await writePayments(input, more);
  started.push(startWeir(["run", "integration-tests/apps/count-and-sum.ts"], env, { stateDir }));
  const all = [...written, ...more];
  const records = await settledOutput(output, expectedTotals(all), started);

  const { notIncreasing } = lastTotals(records);
  assert.deepEqual(notIncreasing.slice(0, 5), [], "per key, each committed total counts more records than the one before: nothing counted twice");
  assert.ok(records.length < all.length / 2, `the cache merges a key's updates between commits: ${records.length} outputs for ${all.length} inputs`);

  const last = started[1]!;
  last.child.kill("SIGTERM");
  assert.equal(await last.exited(30_000), 0, "SIGTERM stops the instance cleanly");
});
