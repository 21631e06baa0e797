// mapValuesAsync through StreamTask, the runtime's task with its commit, over a real SQLite file and a
// TaskOutput that records what each commit would write to Kafka.
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import type { ProducedRecord, TaskOutput, TopicPartitionOffset } from "../kafka/index.ts";
import { WeirMetrics } from "../metrics/metrics.ts";
import { WeirError } from "../runtime/errors.ts";
import { createLogger } from "../runtime/logger.ts";
import { StreamTask } from "../runtime/stream-task.ts";
import { commitTask } from "../runtime/task-commit.ts";
import { serdes } from "../serdes/serde.ts";
import { tempDir } from "../state/test-fixtures.ts";
import { StreamsBuilder } from "../topology/streams-builder.ts";
import type { ProcessorContext } from "./processor.ts";
import type { RecordMetadata } from "./record.ts";

const strings = { key: serdes.string(), value: serdes.string() };

interface Commit {
  readonly records: readonly ProducedRecord[];
  readonly offsets: readonly TopicPartitionOffset[];
}

async function openTask(t: TestContext, build: (b: StreamsBuilder) => void): Promise<{ task: StreamTask; commits: Commit[]; commit: () => Promise<unknown> }> {
  const b = new StreamsBuilder();
  build(b);
  const commits: Commit[] = [];
  const output: TaskOutput = {
    init: async () => {},
    commit: async (records, offsets) => {
      commits.push({ records: [...records], offsets: [...offsets] });
      return new Map();
    },
    close: async () => {},
  };
  const task = StreamTask.open({
    subTopology: b.build().subTopologies[0]!,
    partition: 0,
    applicationId: "app",
    statePath: join(tempDir(t), "app", "0_0.sqlite"),
    cacheMaxBytes: 1 << 20,
    logger: createLogger("silent"),
    metrics: new WeirMetrics("app", { tasksOwned: () => 1, stores: () => [] }),
  });
  t.after(() => task.close());
  assert.equal(task.beginRestore(new Map()).size, 0);
  return { task, commits, commit: () => commitTask(task, output) };
}

function messages(from: number, count: number) {
  return Array.from({ length: count }, (_, i) => ({ offset: String(from + i), key: Buffer.from(`k${from + i}`), value: Buffer.from(String(from + i)), timestamp: "1000" }));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test("results go downstream in input order under random delays, never more than `concurrency` calls in flight", async (t) => {
  let inFlight = 0;
  let maxInFlight = 0;
  const { task, commits, commit } = await openTask(t, (b) =>
    b
      .stream("in", strings)
      .mapValuesAsync(async (v) => {
        maxInFlight = Math.max(maxInFlight, ++inFlight);
        await sleep(Math.random() * 5);
        inFlight--;
        return `enriched ${v}`;
      }, { concurrency: 8 })
      .to("out", strings),
  );
  for (let batch = 0; batch < 4; batch++) {
    assert.equal(await task.process("in", messages(batch * 50, 50)), 50);
    await commit();
  }
  const values = commits.flatMap((c) => c.records.map((r) => r.value!.toString()));
  assert.deepEqual(values, Array.from({ length: 200 }, (_, i) => `enriched ${i}`));
  assert.equal(maxInFlight, 8, "the bound is reached and never passed");
  assert.deepEqual(commits.at(-1)!.offsets, [{ topic: "in", partition: 0, offset: "200" }]);
});

test("a commit waits for every call in flight, so it holds the results of every input offset it commits", async (t) => {
  const release: (() => void)[] = [];
  const { task, commits, commit } = await openTask(t, (b) =>
    b
      .stream("in", strings)
      .mapValuesAsync((v) => new Promise<string>((resolve) => release.push(() => resolve(v.toUpperCase()))), { concurrency: 10 })
      .to("out", strings),
  );
  assert.equal(await task.process("in", messages(0, 3)), 3);
  const committing = commit();
  await sleep(5);
  assert.equal(commits.length, 0, "nothing is committed while calls are in flight");
  release.reverse().forEach((r) => r()); // settle in reverse order
  await committing;
  assert.equal(commits.length, 1);
  assert.deepEqual(commits[0]!.records.map((r) => r.value!.toString()), ["0", "1", "2"]);
  assert.deepEqual(commits[0]!.offsets, [{ topic: "in", partition: 0, offset: "3" }]);
});

test("records forwarded after the await carry their input record's metadata downstream", async (t) => {
  const seen: (RecordMetadata | undefined)[] = [];
  const { task, commit } = await openTask(t, (b) =>
    b
      .stream("in", strings)
      .mapValuesAsync(async (v) => {
        await sleep(Number(v) % 2 === 0 ? 3 : 0);
        return v;
      }, { concurrency: 4 })
      .process<string, string>(() => {
        let context!: ProcessorContext<string, string>;
        return { init: (c) => (context = c), process: () => void seen.push(context.recordMetadata()) };
      }),
  );
  await task.process("in", messages(10, 4));
  await commit();
  assert.deepEqual(seen.map((m) => m && `${m.topic}-${m.partition}@${m.offset}`), ["in-0@10", "in-0@11", "in-0@12", "in-0@13"]);
});

test("a rejected call fails the task naming the record's origin, and nothing is committed", async (t) => {
  const { task, commits, commit } = await openTask(t, (b) =>
    b
      .stream("in", strings)
      .mapValuesAsync(async (v) => {
        await sleep(1);
        if (v === "6") throw new Error("lookup refused");
        return v;
      }, { concurrency: 2, name: "lookup" })
      .to("out", strings),
  );
  await assert.rejects(async () => {
    await task.process("in", messages(5, 4));
    await commit();
  }, (err: unknown) => {
    assert.ok(err instanceof WeirError);
    assert.match(err.message, /WEIR_PROCESSING_FAILED: processor lookup failed on record in-0@6: lookup refused/);
    return true;
  });
  assert.equal(commits.length, 0);
});

test("a synchronous topology processes a batch without waiting on any promise per record", async (t) => {
  const { task } = await openTask(t, (b) => b.stream("in", strings).mapValues((v) => v).to("out", strings));
  let settled = false;
  const processing = task.process("in", messages(0, 100)).then((n) => {
    settled = true;
    return n;
  });
  await Promise.resolve();
  await Promise.resolve();
  assert.equal(settled, true, "the batch ran in one synchronous pass");
  assert.equal(await processing, 100);
});
