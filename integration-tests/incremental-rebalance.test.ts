// Incremental rebalancing on the default client (docs/architecture.md, "The processing loop", step 3): two
// instances count and sum a steady input of 6 partitions, then a third joins. The partitions the first two
// keep must go on being processed through the rebalance: no gap on them longer than one commit interval
// plus the rebalance's own round trips (plus the machine's ordinary gap between batches, measured before
// the rebalance: on a loaded machine that is most of a second). Every restore is held for a few seconds
// meanwhile (the WEIR_TEST_HOLD_RESTORE_FILE hook, on all three instances): the moved tasks wait for it,
// kept ones must not (with stop-the-world rebalances they are restored again, and wait too). Each output
// record carries the wall-clock time it was processed, so the gaps are read off the committed output; the
// output must also be exactly-once correct.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { TopicWriter } from "../src/kafka/tools.ts";
import { connection, eventually, killAll, readSettled, startWeir, StateDirs, TestTopics, uniqueName, type WeirLogLine, type WeirProcess } from "./helpers/cluster.ts";
import { amountsByKey, paymentRecords, payments } from "./helpers/payments.ts";
import { describeReport, verifyCounts } from "./helpers/verify-counts.ts";

const topics = new TestTopics();
const stateDirs = new StateDirs();
after(async () => {
  await killAll();
  await topics.drop();
  stateDirs.removeAll();
});

const partitions = 6;
const keys = 600;
/** The steady input: this many records every tick (~300 records/s over the 6 partitions). */
const recordsPerTick = 6;
const tickMs = 20;
/** How long the input keeps flowing before the third instance starts, and after its tasks run. */
const steadyMs = 5_000;
/** The app's commitIntervalMs (integration-tests/apps/count-and-sum-stamped.ts). */
const commitIntervalMs = 100;
/** How long restores are held once the third instance's first is. */
const holdMs = 5_000;

test("partitions two instances keep while a third joins are processed through the rebalance, exactly once", { timeout: 240_000 }, async (t) => {
  const input = await topics.create("payments", partitions);
  const output = await topics.create("payment-totals", partitions);
  const applicationId = uniqueName("incremental-rebalance");
  topics.adopt(`${applicationId}-totals-changelog`);
  // Absent until the third instance starts: the first two restore freely at their start.
  const hold = join(stateDirs.create(), "hold-restore");
  const env = {
    WEIR_TEST_HOLD_RESTORE_FILE: hold,
    COUNT_INPUT_TOPIC: input,
    COUNT_OUTPUT_TOPIC: output,
    WEIR_APPLICATION_ID: applicationId,
    WEIR_KAFKA_CLIENT: "platformatic",
    WEIR_SESSION_TIMEOUT_MS: "6000",
    WEIR_HEARTBEAT_INTERVAL_MS: "1000",
  };
  const start = () => startWeir(["run", "integration-tests/apps/count-and-sum-stamped.ts"], env, { stateDir: stateDirs.create() });
  const stderrs = (ps: readonly WeirProcess[]) => ps.map((p) => `--- pid ${p.child.pid}:\n${p.stderr().slice(-3000)}`).join("\n");

  const all = payments({ count: 200_000, keys, seed: 4242 });
  const writer = new TopicWriter(connection());
  await writer.connect();
  let written = 0;
  let writing = true;
  // A steady producer: a few records every tick, whatever the instances do.
  const producing = (async () => {
    while (writing) {
      const next = Date.now() + tickMs;
      await writer.write(input, paymentRecords(all.slice(written, written + recordsPerTick)));
      written += recordsPerTick;
      await new Promise((r) => setTimeout(r, Math.max(0, next - Date.now())));
    }
  })();

  const first = [start(), start()];
  const instances = [...first];
  try {
    const running = (ps: readonly WeirProcess[]) => new Set(ps.flatMap((p) => p.logs("task running").map((l) => String(l.task))));
    // Each of the first two runs its 3 tasks (its last assignment, all running): the steady window before
    // the join must not hold the first two's own rebalance.
    await eventually("each of the first two instances running its 3 tasks", 90_000, () => {
      for (const p of instances) assert.ok(p.running(), `an instance exited:\n${stderrs(instances)}`);
      return first.every((p) => {
        const tasks = lastAssigned(p);
        return tasks.length === partitions / 2 && tasks.every((task) => running([p]).has(task));
      });
    });
    await new Promise((r) => setTimeout(r, steadyMs));

    writeFileSync(hold, "");
    const third = start();
    instances.push(third);
    await eventually("the third instance's restore held", 90_000, () => {
      for (const p of instances) assert.ok(p.running(), `an instance exited:\n${stderrs(instances)}`);
      return third.logs("restore held (test hook): waiting for the file to be deleted").length > 0;
    });
    await new Promise((r) => setTimeout(r, holdMs));
    rmSync(hold);
    const releasedAt = Date.now();
    await eventually("the third instance running its tasks", 90_000, () => {
      for (const p of instances) assert.ok(p.running(), `an instance exited:\n${stderrs(instances)}`);
      return running([third]).size > 0 && third.logs("tasks assigned").length > 0 && [...running([third])].length === lastAssigned(third).length;
    });
    await new Promise((r) => setTimeout(r, steadyMs));
    writing = false;
    await producing;

    const expected = amountsByKey(all.slice(0, written));
    const settled = await readSettled(output, written, 60_000, 5000);
    const report = verifyCounts(expected, settled);

    // The rebalance: from the third instance's join to the last member's new assignment.
    const joinedAt = time(third.logs("joining the group")[0]!);
    const assignedAfter = instances.map((p) => p.logs("tasks assigned").filter((l) => time(l) >= joinedAt));
    const rebalanceMs = Math.max(...assignedAfter.map((lines) => time(lines.at(-1)!))) - joinedAt;
    // Kept: in a first instance's assignment before the join and in its last one.
    const kept = new Set<number>();
    for (const p of first) {
      const before = p.logs("tasks assigned").filter((l) => time(l) < joinedAt).at(-1);
      const now = lastAssigned(p);
      for (const task of (before?.tasks as string[] | undefined) ?? []) if (now.includes(task)) kept.add(partitionOf(task));
    }
    const moved = new Set(lastAssigned(third).map(partitionOf));

    // Each partition's processing times, from the committed output.
    const stamps = new Map<number, number[]>();
    for (const r of settled) {
      const at = (JSON.parse(r.value!.toString("utf8")) as { processedAt: number }).processedAt;
      stamps.set(r.partition, [...(stamps.get(r.partition) ?? []), at]);
    }
    // The window around the rebalance: from the join to a while after the restores were released.
    const from = joinedAt;
    const to = releasedAt + 1_000;
    const gapIn = (p: number, lo: number, hi: number) => maxGap(stamps.get(p) ?? [], lo, hi);
    const keptGaps = [...kept].map((p) => ({ p, gap: gapIn(p, from, to) }));
    const movedGaps = [...moved].map((p) => ({ p, gap: gapIn(p, from, to) }));
    const steadyGaps = [...kept].map((p) => ({ p, gap: gapIn(p, from - steadyMs, from) }));
    const steadyGap = Math.max(...steadyGaps.map((g) => g.gap));
    const keptHeld = first.flatMap((p) => p.logs("restore held (test hook): waiting for the file to be deleted").map((l) => String(l.task)));
    const figures = [
      `${written} records written at ~${Math.round((recordsPerTick * 1000) / tickMs)}/s into ${partitions} partitions; ${settled.length} output records`,
      `rebalance: ${rebalanceMs} ms from the third instance's join to the last member's new assignment; restores held ${holdMs} ms; commit interval ${commitIntervalMs} ms`,
      `restores held on the first two instances: ${keptHeld.length === 0 ? "none" : keptHeld.join(", ")}`,
      `kept partitions ${fmt(keptGaps)}: max processing gap through the rebalance ${Math.max(...keptGaps.map((g) => g.gap))} ms (before it, steady: ${steadyGap} ms)`,
      `moved partitions ${fmt(movedGaps)}: max processing gap ${Math.max(...movedGaps.map((g) => g.gap))} ms`,
      describeReport(report),
    ];
    for (const line of figures) t.diagnostic(line);
    console.log(`incremental-rebalance: ${figures.join("\nincremental-rebalance: ")}`);

    assert.ok(report.ok, `not exactly once:\n${describeReport(report)}`);
    assert.equal(report.outputRecords, written, "one output record per input record");
    assert.equal(kept.size, 4, `the first two instances keep 4 of the 6 tasks (kept: ${[...kept].join(", ")}; moved: ${[...moved].join(", ")})`);
    assert.equal(moved.size, 2);
    // The moved tasks waited for the held restore: the window saw a rebalance and a hand-over.
    // No kept task was reopened: the first two restored nothing after the join, and no commit of theirs
    // crossed the generation change (docs/architecture.md, "Commits and rebalances").
    assert.deepEqual(keptHeld, [], "no restore on the first two instances after the third's join");
    const refused = first.flatMap((p) => p.logs("commit refused: the group's generation moved on").map((l) => String(l.task)));
    assert.deepEqual(refused, [], "no commit of the first two instances refused for the generation change");
    for (const { p, gap } of movedGaps) assert.ok(gap >= holdMs, `moved partition ${p} waited only ${gap} ms, though its restore was held ${holdMs} ms`);
    // Kept partitions are processed through the rebalance: none waits longer than a commit interval plus the
    // rebalance's round trips, beyond the ordinary gap (with stop-the-world, each is restored again, held too).
    for (const { p, gap } of keptGaps) {
      const bound = steadyGap + commitIntervalMs + rebalanceMs;
      assert.ok(gap <= bound, `kept partition ${p} was not processed for ${gap} ms (bound ${bound} ms: ordinary gap ${steadyGap} + commit interval ${commitIntervalMs} + rebalance ${rebalanceMs}); restores held on its instances: ${keptHeld.join(", ") || "none"}`);
    }

    const exits = await Promise.all(instances.map((p) => {
      const exit = p.exited(30_000);
      p.child.kill("SIGTERM");
      return exit;
    }));
    assert.deepEqual(exits, [0, 0, 0], "SIGTERM stops each instance cleanly");
  } finally {
    writing = false;
    await producing.catch(() => undefined);
    await writer.close();
  }
});

function time(line: WeirLogLine): number {
  return line.time as number;
}

function lastAssigned(p: WeirProcess): string[] {
  return (p.logs("tasks assigned").at(-1)?.tasks as string[] | undefined) ?? [];
}

function partitionOf(task: string): number {
  return Number(task.split("_")[1]);
}

/** The longest time between consecutive processing times that touch [lo, hi] (the gap across each edge counts). */
function maxGap(times: readonly number[], lo: number, hi: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let max = 0;
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i]! < lo || sorted[i - 1]! > hi) continue;
    max = Math.max(max, sorted[i]! - sorted[i - 1]!);
  }
  return max;
}

function fmt(gaps: readonly { p: number; gap: number }[]): string {
  return gaps.map((g) => `${g.p}: ${g.gap} ms`).join(", ");
}
