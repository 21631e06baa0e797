import { test } from "node:test";
import assert from "node:assert/strict";
import { serdes } from "../serdes/serde.ts";
import type { KeyValueStore } from "../state/types.ts";
import { StreamsBuilder } from "../topology/streams-builder.ts";
import type { ProcessorContext } from "./processor.ts";
import { testTask } from "./test-task.ts";

const strings = { key: serdes.string(), value: serdes.string() };

test("a processor reads and writes the store it declared, typed by the reference addStateStore returned", () => {
  const { pipe, outputs, file } = testTask((b) => {
    const counts = b.addStateStore({ name: "counts", key: serdes.string(), value: serdes.int64() });
    b.stream("in", strings)
      .process<string, number>(() => {
        let context!: ProcessorContext<string, number>;
        let store!: KeyValueStore<string, number>;
        return {
          init: (c) => {
            context = c;
            store = c.getStateStore(counts);
          },
          process: (r) => {
            const n = (store.get(r.key) ?? 0) + 1;
            store.put(r.key, n);
            context.forward({ ...r, value: n });
          },
        };
      }, { stores: [counts] })
      .to("out", { key: serdes.string(), value: serdes.json<number>() });
  });
  pipe("a", "x", 1);
  pipe("a", "x", 2);
  assert.deepEqual(outputs.map(([, k, v]) => `${k}=${v}`), ["a=1", "a=2"]);
  // The store is in the task's state file, so its writes go to the changelog like any store's.
  assert.deepEqual(file.flush().map((c) => c.topic).filter((t) => t.includes("counts")), ["app-counts-changelog"]);
});

test("a store the processor did not declare is refused, naming the ones it has", () => {
  assert.throws(
    () =>
      testTask((b) => {
        b.addStateStore({ name: "secret", key: serdes.string(), value: serdes.string() });
        b.stream("in", strings).process(() => ({ init: (c) => void c.getStateStore("secret"), process: () => {} }), { name: "nosy" });
      }),
    /processor nosy did not declare store secret \(it has: none\)/,
  );
});

test("forward with a child name sends the record to that child only", () => {
  const { pipe, outputs } = testTask((b) => {
    const routed = b.stream("in", strings).process<string, string>(() => {
      let context!: ProcessorContext<string, string>;
      return { init: (c) => (context = c), process: (r) => context.forward(r, r.value === "odd" ? "odd-sink" : r.value === "even" ? "even-sink" : r.value) };
    });
    routed.to("odd", { ...strings, name: "odd-sink" });
    routed.to("even", { ...strings, name: "even-sink" });
  });
  pipe("1", "odd", 1);
  pipe("2", "even", 2);
  assert.deepEqual(outputs.map(([topic, k]) => `${topic}:${k}`), ["odd:1", "even:2"]);
  assert.throws(() => pipe("3", "nowhere", 3), /has no child nowhere \(it has: odd-sink, even-sink\)/);
});

test("a processor sees the record's headers, timestamp and where it was read from", () => {
  const seen: string[] = [];
  const { task } = testTask((b) =>
    b.stream("in", strings).process<string, string>(() => {
      let context!: ProcessorContext<string, string>;
      return {
        init: (c) => (context = c),
        process: (r) => {
          const m = context.recordMetadata()!;
          seen.push(`${m.topic}-${m.partition}@${m.offset} ts=${r.timestamp} trace=${r.headers.trace?.toString()}`);
        },
      };
    }),
  );
  task.process("in", { offset: "17", key: Buffer.from("k"), value: Buffer.from("v"), timestamp: "1234", headers: { trace: Buffer.from("abc") } });
  assert.deepEqual(seen, ["in-0@17 ts=1234 trace=abc"]);
});

test("describe() shows a process() node with its declared store, and its timer store only when it has onTimer", () => {
  const b = new StreamsBuilder();
  const counts = b.addStateStore({ name: "counts", key: serdes.string(), value: serdes.int64() });
  const stream = b.stream("in", strings);
  stream.process(() => ({ process: () => {} }), { stores: [counts], name: "p" });
  stream.process(() => ({ process: () => {}, onTimer: () => {} }), { stores: [counts], name: "t" });
  const described = b.build().describe();
  assert.match(described, /Processor: p \(stores: \[counts\]\)/);
  assert.match(described, /Processor: t \(stores: \[counts, t-timers\]\)/);
});
