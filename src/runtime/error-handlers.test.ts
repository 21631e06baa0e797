import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import type { BatchMessage, ProducedRecord, TaskOutput, TopicPartitionOffset } from "../kafka/index.ts";
import { WeirMetrics } from "../metrics/metrics.ts";
import { serdes } from "../serdes/index.ts";
import type { ErrorHandler } from "../topology/graph.ts";
import { StreamsBuilder } from "../topology/streams-builder.ts";
import { deadLetterHeaders, RecordError } from "./error-handlers.ts";
import { StreamTask } from "./stream-task.ts";
import { commitTask } from "./task-commit.ts";

/** A task output that keeps what each commit would have written. */
class RecordingOutput implements TaskOutput {
  readonly commits: { records: ProducedRecord[]; offsets: TopicPartitionOffset[] }[] = [];
  async init(): Promise<void> {}
  async commit(records: readonly ProducedRecord[], offsets: readonly TopicPartitionOffset[]): Promise<Map<string, string>> {
    this.commits.push({ records: [...records], offsets: [...offsets] });
    return new Map();
  }
  async close(): Promise<void> {}
}

interface Handlers {
  deserializationErrorHandler?: ErrorHandler;
  processingErrorHandler?: ErrorHandler;
  productionErrorHandler?: ErrorHandler;
}

async function taskOver(t: TestContext, build: (b: StreamsBuilder) => void, handlers: Handlers = {}, maxMessageBytes = new Map<string, number>()) {
  const dir = mkdtempSync(join(tmpdir(), "weir-handlers-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const b = new StreamsBuilder();
  build(b);
  const output = new RecordingOutput();
  const metrics = new WeirMetrics("app", { tasksOwned: () => 0, stores: () => [] });
  const task = StreamTask.open({
    subTopology: b.build().subTopologies[0]!,
    partition: 0,
    applicationId: "app",
    statePath: join(dir, "0_0.sqlite"),
    cacheMaxBytes: 1 << 20,
    logger: pino({ level: "silent" }),
    metrics,
    errorHandling: {
      deserializationErrorHandler: handlers.deserializationErrorHandler ?? "fail",
      processingErrorHandler: handlers.processingErrorHandler ?? "fail",
      productionErrorHandler: handlers.productionErrorHandler ?? "fail",
      deadLetterTopic: "app-dlq",
    },
    maxMessageBytes,
  });
  task.beginRestore(new Map());
  t.after(() => task.close());
  return { task, output, metrics };
}

function message(offset: number, value: string, key = "k"): BatchMessage {
  return { offset: String(offset), key: Buffer.from(key), value: Buffer.from(value), timestamp: String(1000 + offset), headers: { trace: Buffer.from("t1") } };
}

const jsonToOut = (b: StreamsBuilder) =>
  b
    .stream("in", { key: serdes.string(), value: serdes.json<{ n: number }>() })
    .mapValues((v) => {
      if (v.n < 0) throw new Error(`negative ${v.n}`);
      return v.n;
    })
    .to("out", { key: serdes.string(), value: serdes.json<number>() });

const batch = [message(0, '{"n":1}'), message(1, "{not json"), message(2, '{"n":-5}'), message(3, '{"n":3}')];

async function countOf(metrics: WeirMetrics, kind: string, action: string): Promise<number> {
  const text = await metrics.text();
  const line = text.split("\n").find((l) => l.startsWith("weir_error_records_total{") && l.includes(`kind="${kind}"`) && l.includes(`action="${action}"`));
  return line === undefined ? 0 : Number(line.split(" ").pop());
}

test("logAndContinue skips the undecodable and the throwing record, processes the rest, and counts both once committed", async (t) => {
  const { task, output, metrics } = await taskOver(t, jsonToOut, { deserializationErrorHandler: "logAndContinue", processingErrorHandler: "logAndContinue" });
  assert.equal(await task.process("in", batch), 4);
  assert.equal(await countOf(metrics, "deserialization", "skipped"), 0, "counted only once committed");
  await commitTask(task, output);
  const [commit] = output.commits;
  assert.deepEqual(commit!.records.map((r) => r.value!.toString()), ["1", "3"]);
  assert.deepEqual(commit!.offsets, [{ topic: "in", partition: 0, offset: "4" }]);
  assert.equal(await countOf(metrics, "deserialization", "skipped"), 1);
  assert.equal(await countOf(metrics, "processing", "skipped"), 1);
});

test("deadLetter writes the original bytes with the error and the origin in headers, in the same commit as the outputs", async (t) => {
  const { task, output, metrics } = await taskOver(t, jsonToOut, { deserializationErrorHandler: "deadLetter", processingErrorHandler: "deadLetter" });
  await task.process("in", batch);
  await commitTask(task, output);
  const records = output.commits[0]!.records;
  assert.deepEqual(records.map((r) => r.topic), ["out", "app-dlq", "app-dlq", "out"]);
  const [bad, throwing] = records.filter((r) => r.topic === "app-dlq");
  assert.equal(bad!.value!.toString(), "{not json");
  assert.equal(bad!.key!.toString(), "k");
  assert.equal(bad!.timestamp, 1001);
  const header = (r: ProducedRecord, name: string) => r.headers[name]?.toString();
  assert.equal(header(bad!, deadLetterHeaders.kind), "deserialization");
  assert.equal(header(bad!, deadLetterHeaders.errorClass), "SerdeError");
  assert.match(header(bad!, deadLetterHeaders.message)!, /could not deserialize record in-0@1/);
  assert.equal(header(bad!, deadLetterHeaders.topic), "in");
  assert.equal(header(bad!, deadLetterHeaders.partition), "0");
  assert.equal(header(bad!, deadLetterHeaders.offset), "1");
  assert.equal(header(bad!, deadLetterHeaders.timestamp), "1001");
  assert.equal(header(bad!, "trace"), "t1", "the input's own headers are kept");
  assert.equal(header(throwing!, deadLetterHeaders.kind), "processing");
  assert.equal(header(throwing!, deadLetterHeaders.errorClass), "Error");
  assert.match(header(throwing!, deadLetterHeaders.message)!, /negative -5/);
  assert.equal(await countOf(metrics, "processing", "dead_lettered"), 1);
});

test("fail throws the record's error and leaves the position at the failed record, so a commit covers exactly the records before it", async (t) => {
  const { task, output } = await taskOver(t, jsonToOut);
  await assert.rejects(
    () => task.process("in", batch),
    (err: unknown) => err instanceof RecordError && err.kind === "deserialization" && err.committableBefore && /in-0@1/.test(err.message),
  );
  await commitTask(task, output);
  assert.deepEqual(output.commits[0]!.records.map((r) => r.value!.toString()), ["1"]);
  assert.deepEqual(output.commits[0]!.offsets, [{ topic: "in", partition: 0, offset: "1" }]);
});

test("a source's handler overrides the application's", async (t) => {
  const { task, output } = await taskOver(
    t,
    (b) =>
      b
        .stream("in", { key: serdes.string(), value: serdes.json<number>(), deserializationErrorHandler: "logAndContinue" })
        .to("out", { key: serdes.string(), value: serdes.json<number>() }),
    { deserializationErrorHandler: "fail" },
  );
  await task.process("in", [message(0, "1"), message(1, "{"), message(2, "2")]);
  await commitTask(task, output);
  assert.deepEqual(output.commits[0]!.records.map((r) => r.value!.toString()), ["1", "2"]);
});

test("outputs a record forwarded before its processor threw are dropped with it", async (t) => {
  const { task, output } = await taskOver(
    t,
    (b) => {
      const s = b.stream("in", { key: serdes.string(), value: serdes.string() });
      s.to("first", { key: serdes.string(), value: serdes.string() });
      s.mapValues((v) => {
        if (v === "bad") throw new Error("bad value");
        return v;
      }).to("second", { key: serdes.string(), value: serdes.string() });
    },
    { processingErrorHandler: "logAndContinue" },
  );
  await task.process("in", [message(0, "good"), message(1, "bad")]);
  await commitTask(task, output);
  assert.deepEqual(output.commits[0]!.records.map((r) => `${r.topic}:${r.value!.toString()}`), ["first:good", "second:good"]);
});

test("under fail, a record that wrote state before failing makes the records before it uncommittable", async (t) => {
  const { task } = await taskOver(t, (b) =>
    b
      .stream("in", { key: serdes.string(), value: serdes.string() })
      .groupByKey()
      .count({ store: "counts" })
      .toStream()
      .mapValues((n) => {
        if (n === 2) throw new Error("second record of a key");
        return n;
      })
      .to("out", { key: serdes.string(), value: serdes.int64() }),
  );
  await assert.rejects(
    () => task.process("in", [message(0, "a"), message(1, "b")]),
    (err: unknown) => err instanceof RecordError && err.kind === "processing" && !err.committableBefore,
  );
});

test("an output larger than its topic accepts is a production error of its record; logAndContinue drops only that output", async (t) => {
  const { task, output, metrics } = await taskOver(
    t,
    (b) => {
      const s = b.stream("in", { key: serdes.string(), value: serdes.string() });
      s.to("small", { key: serdes.string(), value: serdes.string() });
      s.to("large", { key: serdes.string(), value: serdes.string() });
    },
    { productionErrorHandler: "logAndContinue" },
    new Map([["small", 1000]]),
  );
  await task.process("in", [message(0, "x".repeat(100)), message(1, "y".repeat(2000))]);
  await commitTask(task, output);
  assert.deepEqual(output.commits[0]!.records.map((r) => `${r.topic}:${r.value!.length}`), ["small:100", "large:100", "large:2000"]);
  assert.equal(await countOf(metrics, "production", "skipped"), 1);
});

test("a sink's production handler overrides the application's; deadLetter sends the input once", async (t) => {
  const { task, output } = await taskOver(
    t,
    (b) => {
      const s = b.stream("in", { key: serdes.string(), value: serdes.string() });
      s.to("small", { key: serdes.string(), value: serdes.string(), productionErrorHandler: "deadLetter" });
      s.to("tiny", { key: serdes.string(), value: serdes.string(), productionErrorHandler: "deadLetter" });
    },
    { productionErrorHandler: "fail" },
    new Map([["small", 1000], ["tiny", 1000]]),
  );
  await task.process("in", [message(0, "y".repeat(2000))]);
  await commitTask(task, output);
  const records = output.commits[0]!.records;
  assert.deepEqual(records.map((r) => r.topic), ["app-dlq"]);
  assert.equal(records[0]!.headers[deadLetterHeaders.kind]?.toString(), "production");
  assert.equal(records[0]!.value!.length, 2000);
});

test("a throwing timestamp extractor and a throwing topic chooser are processing errors of their record", async (t) => {
  const { task, output } = await taskOver(
    t,
    (b) =>
      b
        .stream("in", {
          key: serdes.string(),
          value: serdes.string(),
          timestampExtractor: (r) => (r.value === "no-time" ? assert.fail("no event time") : r.timestamp),
        })
        .to((_k, v) => (v === "no-topic" ? assert.fail("no topic for it") : "out"), { key: serdes.string(), value: serdes.string() }),
    { processingErrorHandler: "deadLetter" },
  );
  await task.process("in", [message(0, "a"), message(1, "no-time"), message(2, "no-topic"), message(3, "b")]);
  await commitTask(task, output);
  const records = output.commits[0]!.records;
  assert.deepEqual(records.map((r) => `${r.topic}:${r.value!.toString()}`), ["out:a", "app-dlq:no-time", "app-dlq:no-topic", "out:b"]);
  assert.match(records[1]!.headers[deadLetterHeaders.message]!.toString(), /timestamp extractor of source .* failed on record in-0@1/);
  assert.equal(records[2]!.headers[deadLetterHeaders.kind]!.toString(), "processing");
});

test("a sink with a topic chooser cannot use a serde that resolves its writer schema before the batch", async (t) => {
  const warming = { ...serdes.string(), prepareSerialize: () => undefined };
  await assert.rejects(
    () => taskOver(t, (b) => b.stream("in", { key: serdes.string(), value: serdes.string() }).to(() => "out", { key: serdes.string(), value: warming, name: "by-region" })),
    /sink by-region picks its topic per record and cannot use a serde that resolves its writer schema first/,
  );
});
