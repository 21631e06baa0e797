// Restoring a task's SQLite store from its changelog (DESIGN.md, "Exactly-once", step 2): after a crash only
// the records past the file's checkpoint are replayed; a missing or corrupt file is rebuilt from the beginning.
// Either way the counts go on from the totals already committed, never from zero and never twice.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { closeSync, existsSync, openSync, readdirSync, rmSync, statSync, writeSync } from "node:fs";
import { join } from "node:path";
import { readTopic, tailTopics, TopicWriter } from "../src/kafka/tools.ts";
import { SeededRandom } from "../topologies/lib/random.ts";
import { changelogSnapshot, committedBetween, lastTransactionSize, transactionCount, type ChangelogSnapshot } from "./helpers/changelog.ts";
import {
  connection,
  eventually,
  killAll,
  readSettled,
  restoresLogged,
  startWeir,
  StateDirs,
  TestTopics,
  uniqueName,
  type RestoreDone,
  type WeirProcess,
} from "./helpers/cluster.ts";
import { amountsByKey, paymentRecords, payments, type Payment } from "./helpers/payments.ts";
import { describeReport, verifyCounts } from "./helpers/verify-counts.ts";

const topics = new TestTopics();
const stateDirs = new StateDirs();
let stopTail: (() => Promise<void>) | undefined;
after(async () => {
  await stopTail?.();
  await killAll();
  await topics.drop();
  stateDirs.removeAll();
});

const countAndSum = "integration-tests/apps/count-and-sum.ts";
const partitions = 2;
const tasks = ["0_0", "0_1"];

interface Fixture {
  readonly input: string;
  readonly output: string;
  readonly applicationId: string;
  readonly changelog: string;
  readonly stateDir: string;
  readonly env: Record<string, string>;
  /** Every instance started, for the stderr in a failure message. */
  readonly started: WeirProcess[];
  /** Everything written to the input, in order. */
  readonly written: Payment[];
}

async function fixture(prefix: string): Promise<Fixture> {
  const input = await topics.create(`${prefix}-payments`, partitions);
  const output = await topics.create(`${prefix}-totals`, partitions);
  const applicationId = uniqueName(prefix);
  return {
    input,
    output,
    applicationId,
    changelog: topics.adopt(`${applicationId}-totals-changelog`),
    stateDir: stateDirs.create(),
    env: {
      COUNT_INPUT_TOPIC: input,
      COUNT_OUTPUT_TOPIC: output,
      WEIR_APPLICATION_ID: applicationId,
      // A restart after a SIGKILL waits for the dead member's session to expire: 6 s (the broker's minimum), not 45 s.
      WEIR_SESSION_TIMEOUT_MS: "6000",
      WEIR_HEARTBEAT_INTERVAL_MS: "1000",
    },
    started: [],
    written: [],
  };
}

async function write(f: Fixture, input: readonly Payment[]): Promise<void> {
  const writer = new TopicWriter(connection());
  await writer.connect();
  try {
    await writer.write(f.input, paymentRecords(input));
  } finally {
    await writer.close();
  }
  f.written.push(...input);
}

/** Starts an instance on the fixture's state dir (kept across instances). */
function start(f: Fixture): WeirProcess {
  const p = startWeir(["run", countAndSum], f.env, { stateDir: f.stateDir });
  f.started.push(p);
  return p;
}

function stderrTails(f: Fixture): string {
  return f.started.map((p, i) => `--- instance ${i + 1} (pid ${p.child.pid}) stderr ends:\n${p.stderr().slice(-3000)}`).join("\n");
}

/** Reads the output once it holds one update per written record, and asserts each record counted exactly once. */
async function assertExactOutput(f: Fixture, timeoutMs: number): Promise<void> {
  const settled = await readSettled(f.output, f.written.length, timeoutMs);
  const report = verifyCounts(amountsByKey(f.written), settled);
  assert.ok(report.ok, `after ${f.written.length} input records:\n${describeReport(report)}\n${stderrTails(f)}`);
  assert.equal(report.outputRecords, f.written.length, "one output record per input record");
}

/** The first "restore done" line of each task, once the process logged one for every task. */
async function firstRestores(f: Fixture, p: WeirProcess): Promise<Map<string, RestoreDone>> {
  try {
    await eventually(`"restore done" for tasks ${tasks.join(", ")}`, 60_000, () => {
      assert.ok(p.running(), `the instance exited with ${p.child.exitCode ?? p.child.signalCode}`);
      const seen = new Set(restoresLogged(p).map((r) => r.task));
      return tasks.every((t) => seen.has(t));
    });
  } catch (err) {
    assert.fail(`${err instanceof Error ? err.message : String(err)}\n${stderrTails(f)}`);
  }
  const first = new Map<string, RestoreDone>();
  for (const r of restoresLogged(p)) if (!first.has(r.task)) first.set(r.task, r);
  for (const r of first.values()) assert.equal(r.store, "totals", `restore line ${JSON.stringify(r)}`);
  return first;
}

/** The changelog as restore reads it (read_committed), once 5 s pass without a record. Only while no instance runs. */
async function readChangelog(f: Fixture): Promise<ChangelogSnapshot> {
  try {
    return changelogSnapshot(await readTopic(connection(), f.changelog, { timeoutMs: 5000 }));
  } catch (err) {
    assert.fail(`cannot read the changelog topic ${f.changelog} (does the runtime create it?): ${err instanceof Error ? err.message : String(err)}\n${stderrTails(f)}`);
  }
}

function partitionOf(task: string): number {
  return Number(task.split("_")[1]);
}

function taskFiles(f: Fixture, task: string): string[] {
  const file = join(f.stateDir, f.applicationId, `${task}.sqlite`);
  return [file, `${file}-wal`, `${file}-shm`];
}

/**
 * A replay must read exactly the committed changelog records between the checkpoint and the end, and after a
 * crash the checkpoint lags the end by at most the last committed transaction: step 4 commits the Kafka
 * transaction and then the SQLite one, so a crash in between leaves the file one transaction behind.
 */
function assertDeltaRestore(r: RestoreDone, snapshot: ChangelogSnapshot): void {
  const offsets = snapshot.get(partitionOf(r.task)) ?? [];
  const replayable = committedBetween(offsets, Number(r.fromOffset), Number(r.toOffset));
  const what = `task ${r.task}: ${JSON.stringify(r)}; its changelog partition holds ${offsets.length} committed records in ${transactionCount(offsets)} transactions`;
  assert.equal(r.rebuilt, false, `the file was there: no rebuild; ${what}`);
  assert.equal(r.restored, replayable, `"restored" is the committed records between fromOffset and toOffset (${replayable}); ${what}`);
  assert.ok(replayable <= lastTransactionSize(offsets), `the checkpoint is at most the last transaction (${lastTransactionSize(offsets)} records) behind; ${what}`);
}

test("after a SIGKILL, a restart on the same state dir replays only the changelog past its checkpoint, and counts go on", { timeout: 180_000 }, async () => {
  const f = await fixture("restore-delta");
  await write(f, payments({ count: 50_000, keys: 5_000, seed: 11 }));
  const first = start(f);
  await assertExactOutput(f, 90_000);

  const gone = first.exited(10_000);
  first.child.kill("SIGKILL");
  await gone;
  const snapshot = await readChangelog(f);
  const changelogSize = [...snapshot.values()].reduce((n, o) => n + o.length, 0);
  assert.ok(changelogSize >= 5_000, `the changelog holds at least one record per key, got ${changelogSize}`);

  await write(f, payments({ count: 2_000, keys: 5_000, seed: 12, everyKey: false }));
  const second = start(f);
  const restores = await firstRestores(f, second);
  for (const r of restores.values()) assertDeltaRestore(r, snapshot);
  const restored = [...restores.values()].reduce((n, r) => n + r.restored, 0);
  assert.ok(restored < 50_000 / 10, `${restored} records replayed of a changelog of ${changelogSize}: no full restore`);

  await assertExactOutput(f, 90_000);
  second.child.kill("SIGTERM");
  assert.equal(await second.exited(30_000), 0, "SIGTERM stops the instance cleanly");
});

test("a SIGKILL in the middle of processing loses and duplicates nothing, and the restart replays at most one transaction", { timeout: 180_000 }, async (t) => {
  const f = await fixture("restore-midway");
  await write(f, payments({ count: 50_000, keys: 5_000, seed: 13 }));

  // The kill comes from the output's tail once a quarter of the updates are committed, while the rest are in flight.
  let seen = 0;
  let seenAtKill = 0;
  const target: { victim?: WeirProcess } = {};
  stopTail = await tailTopics(connection(), [f.output], () => {
    seen += 1;
    if (seen === 12_500 && target.victim) {
      seenAtKill = seen;
      target.victim.child.kill("SIGKILL");
    }
  });
  const first = start(f);
  target.victim = first;
  await eventually("a quarter of the updates committed", 90_000, () => {
    assert.ok(seenAtKill > 0 || first.running(), `the instance exited on its own with ${first.child.exitCode ?? first.child.signalCode}:\n${stderrTails(f)}`);
    return seenAtKill > 0;
  });
  await first.exited(10_000);
  await stopTail();
  stopTail = undefined;
  t.diagnostic(`killed once ${seenAtKill} of 50,000 updates were committed`);

  const snapshot = await readChangelog(f);
  const second = start(f);
  const restores = await firstRestores(f, second);
  for (const r of restores.values()) assertDeltaRestore(r, snapshot);
  t.diagnostic(`restores after the kill: ${JSON.stringify([...restores.values()])}`);

  await assertExactOutput(f, 120_000);
  second.child.kill("SIGTERM");
  assert.equal(await second.exited(30_000), 0, "SIGTERM stops the instance cleanly");
});

function listFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" }).sort();
}

/** Fills the middle half of `file` with seeded garbage, leaving its first 4 KiB (the header, the schema's page) alone. */
function corruptMiddle(file: string): void {
  const size = statSync(file).size;
  assert.ok(size >= 16 * 1024, `${file} is ${size} bytes: too small to corrupt in the middle`);
  const from = Math.max(4096, Math.floor(size / 4));
  const garbage = Buffer.alloc(Math.floor(size / 2));
  const random = new SeededRandom(99);
  for (let i = 0; i < garbage.length; i++) garbage[i] = random.int(0, 256);
  const fd = openSync(file, "r+");
  try {
    writeSync(fd, garbage, 0, garbage.length, from);
  } finally {
    closeSync(fd);
  }
}

async function lostStateIsRebuilt(damage: "deleted" | "corrupt"): Promise<void> {
  const f = await fixture(`restore-${damage}`);
  await write(f, payments({ count: 20_000, keys: 2_000, seed: 21 }));
  const first = start(f);
  await assertExactOutput(f, 90_000);
  first.child.kill("SIGTERM");
  assert.equal(await first.exited(30_000), 0, "SIGTERM stops the instance cleanly");

  for (const task of tasks) {
    const file = taskFiles(f, task)[0]!;
    assert.ok(existsSync(file), `a clean stop leaves ${file}; the state dir holds: ${listFiles(f.stateDir).join(", ") || "nothing"}`);
  }
  const snapshot = await readChangelog(f);
  // One task loses its file, the other keeps it: only the first may replay from the beginning.
  const [lost, kept] = damage === "deleted" ? ["0_0", "0_1"] : ["0_1", "0_0"];
  const [file, ...sidecars] = taskFiles(f, lost);
  if (damage === "deleted") rmSync(file!);
  else corruptMiddle(file!);
  // A WAL left beside the file would hold pages SQLite reads instead of the damaged ones (a clean close leaves none).
  for (const s of sidecars) rmSync(s, { force: true });

  await write(f, payments({ count: 2_000, keys: 2_000, seed: 22, everyKey: false }));
  const second = start(f);
  const restores = await firstRestores(f, second);

  const rebuilt = restores.get(lost)!;
  const offsets = snapshot.get(partitionOf(lost)) ?? [];
  assert.equal(rebuilt.rebuilt, true, `the ${damage} file of ${lost} is rebuilt: ${JSON.stringify(rebuilt)}`);
  assert.ok(Number(rebuilt.fromOffset) <= (offsets[0] ?? 0), `the rebuild replays from the changelog's beginning: ${JSON.stringify(rebuilt)}`);
  assert.equal(rebuilt.restored, offsets.length, `the rebuild replays every committed changelog record of partition ${partitionOf(lost)}: ${JSON.stringify(rebuilt)}`);

  const intact = restores.get(kept)!;
  assert.equal(intact.rebuilt, false, `${kept}'s file was left alone: ${JSON.stringify(intact)}`);
  assert.equal(intact.restored, 0, `after a clean stop ${kept}'s checkpoint is the changelog's end: ${JSON.stringify(intact)}`);

  // The counts of every key go on from the totals committed before the stop: 1 … n over both runs.
  await assertExactOutput(f, 90_000);
  second.child.kill("SIGTERM");
  assert.equal(await second.exited(30_000), 0, "SIGTERM stops the instance cleanly");
}

test("a deleted state file is rebuilt from the whole changelog, and counts go on from the committed totals", { timeout: 180_000 }, () =>
  lostStateIsRebuilt("deleted"),
);

test("a corrupt state file is detected and rebuilt from the whole changelog, and counts go on from the committed totals", { timeout: 180_000 }, () =>
  lostStateIsRebuilt("corrupt"),
);
