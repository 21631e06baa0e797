// A windowed count with suppress(untilWindowCloses) through `weir run --until-end` on the real broker, in
// two runs: each window's final count is emitted exactly once and is exact, and records that arrive
// after their window closed (at the start of the second run, so stream time must survive the restart)
// go to the late-records topic instead of reopening the window.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { TopicWriter, type RecordToWrite } from "../src/kafka/tools.ts";
import { serdes } from "../src/serdes/serde.ts";
import { connection, killAll, readSettled, startWeir, StateDirs, TestTopics, uniqueName } from "./helpers/cluster.ts";
import { SeededRandom } from "../topologies/lib/random.ts";

const topics = new TestTopics();
const stateDirs = new StateDirs();
after(async () => {
  await killAll();
  await topics.drop();
  stateDirs.removeAll();
});

const PARTITIONS = 3;
const MINUTE = 60_000;
/**
 * A minute boundary half an hour ago, so windows are [T0 + k min, T0 + (k + 1) min). Recent on purpose:
 * the test broker deletes records older than the topics' 7-day retention within 30 s.
 */
const T0 = Math.floor(Date.now() / MINUTE) * MINUTE - 30 * MINUTE;
const STEP_MS = 50;
/** Records arrive up to 5 s out of order: always within the 10 s grace. */
const MAX_DISORDER_MS = 5_000;

interface Input {
  readonly key: string;
  readonly partition: number;
  readonly timestamp: number;
}

/** Records i in [from, to): key k-n on partition n % 3, timestamps advancing STEP_MS per record with some disorder. */
function inOrder(random: SeededRandom, from: number, to: number): Input[] {
  const out: Input[] = [];
  for (let i = from; i < to; i++) {
    const n = random.int(0, 30);
    out.push({ key: `k-${n}`, partition: n % PARTITIONS, timestamp: T0 + i * STEP_MS - random.int(0, MAX_DISORDER_MS) });
  }
  return out;
}

async function write(topic: string, records: readonly Input[]): Promise<void> {
  const writer = new TopicWriter(connection());
  await writer.connect();
  try {
    const rows: RecordToWrite[] = records.map((r) => ({ key: r.key, value: "x", partition: r.partition, timestamp: r.timestamp }));
    await writer.write(topic, rows);
  } finally {
    await writer.close();
  }
}

function windowId(key: string, start: number): string {
  return `${key}@${start - T0}`;
}

test("a windowed count with suppress emits each window's exact final count once, across a restart, and routes late records", { timeout: 300_000 }, async () => {
  const input = await topics.create("windowed-in", PARTITIONS);
  const output = await topics.create("windowed-out", PARTITIONS);
  const late = await topics.create("windowed-late", PARTITIONS);
  const applicationId = uniqueName("windowed");
  topics.adopt(`${applicationId}-counts-changelog`);
  topics.adopt(`${applicationId}-finals-changelog`);
  const env = { WINDOW_INPUT_TOPIC: input, WINDOW_OUTPUT_TOPIC: output, WINDOW_LATE_TOPIC: late, WEIR_APPLICATION_ID: applicationId };
  const stateDir = stateDirs.create();
  const runUntilEnd = async () => {
    const p = startWeir(["run", "integration-tests/apps/windowed-count.ts", "--until-end"], env, { stateDir });
    const code = await p.exited(120_000);
    assert.equal(code, 0, `weir run --until-end exits 0; stderr ends:\n${p.stderr().slice(-4000)}`);
  };

  const random = new SeededRandom(51);
  // First run: 3 minutes of records (3,600 at 50 ms).
  const first = inOrder(random, 0, 3600);
  await write(input, first);
  await runUntilEnd();

  // Second run: first, records for the first minute, long closed on every partition (stream time ≈ T0 + 3 min);
  // then 2 more minutes of records; then one record per partition 10 minutes later, which closes every window.
  const lateRecords: Input[] = [0, 1, 2].map((p) => ({ key: `k-${p}`, partition: p, timestamp: T0 + 1_000 + p }));
  const second = inOrder(random, 3600, 6000);
  const closing: Input[] = [0, 1, 2].map((p) => ({ key: `close-${p}`, partition: p, timestamp: T0 + 10 * MINUTE }));
  await write(input, [...lateRecords, ...second, ...closing]);
  await runUntilEnd();

  const expected = new Map<string, number>();
  for (const r of [...first, ...second]) {
    const id = windowId(r.key, T0 + Math.floor((r.timestamp - T0) / MINUTE) * MINUTE);
    expected.set(id, (expected.get(id) ?? 0) + 1);
  }
  const windowedKey = serdes.windowed(serdes.string());
  const records = await readSettled(output, expected.size, 60_000);
  const seen = new Map<string, number>();
  const duplicates: string[] = [];
  for (const r of records) {
    const key = windowedKey.deserialize(r.key!, output);
    assert.equal(key.window.end - key.window.start, MINUTE);
    const id = windowId(key.key, key.window.start);
    if (seen.has(id)) duplicates.push(id);
    seen.set(id, serdes.int64().deserialize(r.value!, output));
  }
  assert.deepEqual(duplicates, [], "each window's final result is emitted once");
  assert.deepEqual(new Map([...seen].sort()), new Map([...expected].sort()), "every window's final count is exact, and the open windows of the closing records are not emitted");

  const lateOut = await readSettled(late, lateRecords.length, 60_000);
  assert.deepEqual(
    lateOut.map((r) => [r.key!.toString(), Number(r.timestamp)]).sort(),
    lateRecords.map((r) => [r.key, r.timestamp]).sort(),
    "the late records, and only they, are on the late-records topic as they arrived",
  );
});
