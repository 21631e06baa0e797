import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import type { BatchMessage, ProducedRecord, TaskOutput, TopicPartitionOffset } from "../kafka/index.ts";
import { WeirMetrics } from "../metrics/metrics.ts";
import { serdes } from "../serdes/index.ts";
import { RecordCacheBudget } from "../state/record-cache.ts";
import { StreamsBuilder } from "../topology/streams-builder.ts";
import { StreamTask } from "./stream-task.ts";
import { commitTask } from "./task-commit.ts";

/** A task output that keeps what each commit wrote, and refuses the next commit when told to. */
class RecordingOutput implements TaskOutput {
  readonly commits: { records: ProducedRecord[]; offsets: TopicPartitionOffset[] }[] = [];
  refuseNext = false;
  async init(): Promise<void> {}
  async commit(records: readonly ProducedRecord[], offsets: readonly TopicPartitionOffset[]): Promise<Map<string, string>> {
    if (this.refuseNext) {
      this.refuseNext = false;
      throw new Error("the transaction was aborted");
    }
    this.commits.push({ records: [...records], offsets: [...offsets] });
    return new Map();
  }
  async close(): Promise<void> {}
}

function countingTask(t: TestContext) {
  const dir = mkdtempSync(join(tmpdir(), "weir-record-cache-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const b = new StreamsBuilder();
  b.stream("in", { key: serdes.string(), value: serdes.string() }).groupByKey().count({ store: "counts" }).toStream().to("out", { key: serdes.string(), value: serdes.int64() });
  const task = StreamTask.open({
    subTopology: b.build().subTopologies[0]!,
    partition: 0,
    applicationId: "app",
    statePath: join(dir, "0_0.sqlite"),
    cacheMaxBytes: 1 << 20,
    logger: pino({ level: "silent" }),
    metrics: new WeirMetrics("app", { tasksOwned: () => 0, stores: () => [] }),
    recordCache: new RecordCacheBudget(1 << 20).join(),
  });
  task.beginRestore(new Map());
  t.after(() => task.close());
  return { task, output: new RecordingOutput() };
}

function messages(from: number, keys: readonly string[]): BatchMessage[] {
  return keys.map((key, i) => ({ offset: String(from + i), key: Buffer.from(key), value: Buffer.from("x"), timestamp: String(1000 + from + i) }));
}

/** The commit's outputs as `topic:key=count` (outputs) and `topic:key` (changelog records). */
function described(records: readonly ProducedRecord[]): string[] {
  return records.map((r) => (r.topic === "out" ? `out:${r.key?.toString()}=${serdes.int64().deserialize(r.value!, "out")}` : `${r.topic}:${r.key?.toString()}`));
}

test("a commit carries the record cache's latest count per key and the changelog of those counts, in one transaction", async (t) => {
  const { task, output } = countingTask(t);
  await task.process("in", messages(0, ["a", "a", "b", "a"]));
  await commitTask(task, output);
  assert.equal(output.commits.length, 1);
  assert.deepEqual(described(output.commits[0]!.records).sort(), ["app-counts-changelog:a", "app-counts-changelog:b", "out:a=3", "out:b=1"]);
  assert.deepEqual(output.commits[0]!.offsets, [{ topic: "in", partition: 0, offset: "4" }]);
});

test("a refused commit drops the cached updates: the records processed again give the same counts, not doubled", async (t) => {
  const { task, output } = countingTask(t);
  await task.process("in", messages(0, ["a", "a"]));
  await commitTask(task, output);
  await task.process("in", messages(2, ["a", "b"]));
  output.refuseNext = true;
  await assert.rejects(commitTask(task, output), /aborted/);
  // The runtime fetches from the committed offset again and processes the same records.
  task.startFetching();
  task.suspend();
  task.beginRestore(new Map());
  await task.process("in", messages(2, ["a", "b"]));
  await commitTask(task, output);
  assert.deepEqual(described(output.commits[1]!.records).filter((r) => r.startsWith("out:")).sort(), ["out:a=3", "out:b=1"]);
});
