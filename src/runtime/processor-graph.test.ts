import { test } from "node:test";
import assert from "node:assert/strict";
import type { ProducedRecord } from "../kafka/index.ts";
import { serdes } from "../serdes/serde.ts";
import { StreamsBuilder } from "../topology/streams-builder.ts";
import { WeirError } from "./errors.ts";
import { ProcessorGraph } from "./processor-graph.ts";

function message(offset: number, key: string | null, value: string | null, timestamp = 1000) {
  return {
    offset: String(offset),
    key: key === null ? null : Buffer.from(key),
    value: value === null ? null : Buffer.from(value),
    timestamp: String(timestamp),
  };
}

function taskOver(build: (b: StreamsBuilder) => void) {
  const b = new StreamsBuilder();
  build(b);
  const outputs: ProducedRecord[] = [];
  const task = new ProcessorGraph(b.build().subTopologies[0]!, 2, "app", { collect: (r) => outputs.push(r) });
  return { task, outputs };
}

test("a record flows through filter, mapValues and map to the sink, keeping its timestamp", () => {
  const { task, outputs } = taskOver((b) =>
    b
      .stream("in", { key: serdes.string(), value: serdes.json<{ n: number }>() })
      .filter((_, v) => v.n > 1)
      .mapValues((v) => v.n * 10)
      .map((k, v): [string, number] => [k.toUpperCase(), v])
      .to("out", { key: serdes.string(), value: serdes.json<number>() }),
  );
  task.process("in", message(0, "a", '{"n":1}'));
  task.process("in", message(1, "b", '{"n":2}', 5555));
  assert.equal(outputs.length, 1);
  assert.equal(outputs[0]!.topic, "out");
  assert.equal(outputs[0]!.key!.toString(), "B");
  assert.equal(outputs[0]!.value!.toString(), "20");
  assert.equal(outputs[0]!.timestamp, 5555);
});

test("a stream with two children sends each record to both, in the order they were added", () => {
  const { task, outputs } = taskOver((b) => {
    const s = b.stream("in", { key: serdes.string(), value: serdes.string() });
    s.to("first", { key: serdes.string(), value: serdes.string() });
    s.mapValues((v) => v + "!").to("second", { key: serdes.string(), value: serdes.string() });
  });
  task.process("in", message(0, "k", "v"));
  assert.deepEqual(outputs.map((o) => [o.topic, o.value!.toString()]), [["first", "v"], ["second", "v!"]]);
});

test("null keys and values pass through as null without reaching the serde", () => {
  const seen: unknown[] = [];
  const { task, outputs } = taskOver((b) =>
    b
      .stream("in", { key: serdes.string(), value: serdes.json() })
      .peek((k, v) => seen.push(k, v))
      .to("out", { key: serdes.string(), value: serdes.json() }),
  );
  task.process("in", message(0, null, null));
  assert.deepEqual(seen, [null, null]);
  assert.equal(outputs[0]!.key, null);
  assert.equal(outputs[0]!.value, null);
});

test("a record that cannot be deserialized fails with its topic, partition and offset", () => {
  const { task } = taskOver((b) => b.stream("in", { key: serdes.string(), value: serdes.json() }).to("out", { key: serdes.string(), value: serdes.json() }));
  assert.throws(() => task.process("in", message(41, "k", "{bad")), (err: unknown) => {
    assert.ok(err instanceof WeirError);
    assert.equal(err.code, "WEIR_DESERIALIZATION_FAILED");
    assert.match(err.message, /in-2@41/);
    return true;
  });
});

test("a user function that throws fails naming the processor and the record", () => {
  const { task } = taskOver((b) =>
    b
      .stream("in", { key: serdes.string(), value: serdes.string() })
      .mapValues((): string => {
        throw new Error("boom");
      }, { name: "explode" })
      .to("out", { key: serdes.string(), value: serdes.string() }),
  );
  assert.throws(() => task.process("in", message(7, "k", "v")), /WEIR_PROCESSING_FAILED: processor explode failed on record in-2@7: boom/);
});

test("the task id is the sub-topology and the partition", () => {
  const { task } = taskOver((b) => b.stream("in", { key: serdes.string(), value: serdes.string() }).to("out", { key: serdes.string(), value: serdes.string() }));
  assert.equal(task.id, "0_2");
});

test("a record with a negative timestamp is counted as dropped when its source skips invalid timestamps", () => {
  const { task, outputs } = taskOver((b) =>
    b.stream("in", { key: serdes.string(), value: serdes.string(), onInvalidTimestamp: "skip" }).to("out", { key: serdes.string(), value: serdes.string() }),
  );
  task.process("in", message(0, "a", "x", -1));
  task.process("in", message(1, "a", "y", 7));
  assert.equal(outputs.length, 1);
  assert.equal(task.dropped.get("invalid timestamp"), 1);
});

test("a topic chooser's topics are noted for the runtime to check", () => {
  const { task, outputs } = taskOver((b) =>
    b.stream("in", { key: serdes.string(), value: serdes.string() }).to((k) => `out-${k}`, { key: serdes.string(), value: serdes.string() }),
  );
  task.process("in", message(0, "a", "x"));
  task.process("in", message(1, "b", "y"));
  assert.deepEqual(outputs.map((o) => o.topic), ["out-a", "out-b"]);
  assert.deepEqual([...task.chosenTopics], ["out-a", "out-b"]);
});

test("eventTimeOf gives the event time the source's extractor will give, and the Kafka timestamp when it fails", () => {
  const { task } = taskOver((b) => {
    b.stream("in", { key: serdes.string(), value: serdes.json<{ at: number }>(), timestampExtractor: (r) => (r.value as { at: number }).at }).to("out", {
      key: serdes.string(),
      value: serdes.json<{ at: number }>(),
    });
  });
  assert.equal(task.eventTimeOf("in", message(0, "a", '{"at":42}', 1000)), 42);
  assert.equal(task.eventTimeOf("in", message(1, "a", "{not json", 1000)), 1000);
});
