// A windowed count and its suppress keep their own stream time in memory (processor/observed-stream-time.ts):
// a rollback must take it back with the stores, or the records processed again would be judged against the
// stream time of the very records that were rolled back.
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import type { BatchMessage, ProducedRecord, TaskOutput, TopicPartitionOffset } from "../kafka/index.ts";
import { WeirMetrics } from "../metrics/metrics.ts";
import { serdes } from "../serdes/index.ts";
import { Suppressed } from "../topology/ktable.ts";
import { StreamsBuilder } from "../topology/streams-builder.ts";
import { TimeWindows } from "../topology/windows.ts";
import { StreamTask } from "./stream-task.ts";
import { commitTask } from "./task-commit.ts";

class RecordingOutput implements TaskOutput {
  readonly records: ProducedRecord[] = [];
  async init(): Promise<void> {}
  async commit(records: readonly ProducedRecord[], _offsets: readonly TopicPartitionOffset[]): Promise<Map<string, string>> {
    this.records.push(...records);
    return new Map();
  }
  async close(): Promise<void> {}
}

function countTask(t: TestContext): StreamTask {
  const dir = mkdtempSync(join(tmpdir(), "weir-rollback-clock-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const b = new StreamsBuilder();
  b.stream("in", { key: serdes.string(), value: serdes.string() })
    .groupByKey()
    .windowedBy(TimeWindows.ofSizeWithNoGrace(10))
    .count({ store: "counts" })
    .suppress(Suppressed.untilWindowCloses())
    .toStream()
    .map((w, n): readonly [string, string] => [`${w.key}@${w.window.start}`, String(n)])
    .to("out", { key: serdes.string(), value: serdes.string() });
  const task = StreamTask.open({
    subTopology: b.build().subTopologies[0]!,
    partition: 0,
    applicationId: "app",
    statePath: join(dir, "0_0.sqlite"),
    cacheMaxBytes: 0,
    logger: pino({ level: "silent" }),
    metrics: new WeirMetrics("app", { tasksOwned: () => 0, stores: () => [] }),
  });
  task.beginRestore(new Map());
  task.adoptCommittedInputs(new Map([["in:0", "0"]]));
  task.startFetching();
  t.after(() => task.close());
  return task;
}

const record = (offset: number, key: string, timestamp: number): BatchMessage => ({ offset: String(offset), key: Buffer.from(key), value: Buffer.from("x"), timestamp: String(timestamp) });
const batch = (messages: BatchMessage[]) => ({ topic: "in", partition: 0, messages, highWatermark: "100" });
const outputs = (output: RecordingOutput) => output.records.filter((r) => r.topic === "out").map((r) => `${r.key!.toString()}=${r.value!.toString()}`);

test("a rollback takes a windowed aggregation's and its suppress's own stream time back: the records processed again give the same final result", async (t) => {
  const task = countTask(t);
  const output = new RecordingOutput();
  await task.processBatch(batch([record(0, "a", 1)]));
  await commitTask(task, output);
  // a@3 then b@15, which closes [0, 10) for the count and its suppress: a's final result, 2, is emitted...
  await task.processBatch(batch([record(1, "a", 3), record(2, "b", 15)]));
  // ...but the commit fails: everything since the last commit is rolled back, and fetched again.
  task.rollback();
  task.startFetching();
  await task.processBatch(batch([record(1, "a", 3), record(2, "b", 15)]));
  await commitTask(task, output);
  assert.deepEqual(outputs(output), ["a@0=2"]);
});
