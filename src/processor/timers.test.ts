import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { serdes } from "../serdes/serde.ts";
import { StateFile } from "../state/state-file.ts";
import { tempDir } from "../state/test-fixtures.ts";
import type { KeyValueStore } from "../state/types.ts";
import type { StreamsBuilder } from "../topology/streams-builder.ts";
import type { KeyValueStoreRef, Processor, ProcessorContext } from "./processor.ts";
import type { StreamRecord } from "./record.ts";
import { testTask } from "./test-task.ts";
import type { Timer } from "./timers.ts";

const strings = { key: serdes.string(), value: serdes.string() };
const inactivityMs = 10;

/** Forwards "seen" per record and "inactive" once a key has had no record for 10 ms of event time. */
class Inactivity implements Processor<string, string, string, string> {
  private readonly lastSeenRef: KeyValueStoreRef<string, number>;
  private context!: ProcessorContext<string, string, string>;
  private lastSeen!: KeyValueStore<string, number>;
  constructor(lastSeen: KeyValueStoreRef<string, number>) {
    this.lastSeenRef = lastSeen;
  }
  init(context: ProcessorContext<string, string, string>): void {
    this.context = context;
    this.lastSeen = context.getStateStore(this.lastSeenRef);
  }
  process(record: StreamRecord<string, string>): void {
    const previous = this.lastSeen.get(record.key);
    if (previous !== undefined) this.context.timers.delete(record.key, previous + inactivityMs, { type: "eventTime" });
    this.context.timers.register(record.key, record.timestamp + inactivityMs, { type: "eventTime", payload: { last: record.value } });
    this.lastSeen.put(record.key, record.timestamp);
    this.context.forward({ ...record, value: `seen ${record.value}` });
  }
  onTimer(timer: Timer<string>, context: ProcessorContext<string, string, string>): void {
    this.lastSeen.delete(timer.key);
    context.forward({ key: timer.key, value: `inactive after ${(timer.payload as { last: string }).last}`, timestamp: timer.timeMs, headers: {} });
  }
}

function inactivity(b: StreamsBuilder): void {
  const lastSeen = b.addStateStore({ name: "last-seen", key: serdes.string(), value: serdes.int64() });
  b.stream("in", strings).process(() => new Inactivity(lastSeen), { stores: [lastSeen], name: "inactivity" }).to("out", strings);
}

const values = (outputs: [string, string | null, string | null, number][]) => outputs.map(([, k, v, ts]) => `${k}:${v}@${ts}`);

test("event-time timers fire in time order right after the record that moves stream time past them", () => {
  const { pipe, outputs, task } = testTask(inactivity);
  pipe("a", "1", 100);
  pipe("b", "2", 103);
  pipe("c", "3", 101);
  assert.equal(task.streamTimeMs, 103);
  pipe("x", "4", 111);
  assert.deepEqual(values(outputs), ["a:seen 1@100", "b:seen 2@103", "c:seen 3@101", "x:seen 4@111", "a:inactive after 1@110", "c:inactive after 3@111"]);
  outputs.length = 0;
  pipe("y", "5", 112); // stream time 112: b's timer (113) is not due yet
  pipe("z", "6", 50); // a late record: stream time stays 112, and its timer (60) is due at once
  assert.deepEqual(values(outputs), ["y:seen 5@112", "z:seen 6@50", "z:inactive after 6@60"]);
  pipe("y", "7", 113);
  assert.deepEqual(values(outputs).slice(-1), ["b:inactive after 2@113"]);
});

test("a deleted timer never fires and a timer fires once", () => {
  const { pipe, outputs } = testTask(inactivity);
  pipe("a", "1", 100);
  pipe("a", "2", 105); // deletes the timer at 110, registers 115
  pipe("q", "x", 112);
  pipe("q", "x", 200);
  pipe("q", "x", 300);
  assert.deepEqual(values(outputs).filter((v) => v.startsWith("a:inactive")), ["a:inactive after 2@115"]);
});

test("a timer registered in onTimer that is due already fires in the same pass", () => {
  const { pipe, outputs } = testTask((b) =>
    b
      .stream("in", strings)
      .process<string, string>(() => {
        let context!: ProcessorContext<string, string, string>;
        return {
          init: (c) => (context = c),
          process: (r) => context.timers.register(r.key, 10, { type: "eventTime", payload: 3 }),
          onTimer: (timer) => {
            const left = timer.payload as number;
            context.forward({ key: timer.key, value: `left ${left}`, timestamp: timer.timeMs, headers: {} });
            if (left > 0) context.timers.register(timer.key, timer.timeMs + 1, { type: "eventTime", payload: left - 1 });
          },
        };
      })
      .to("out", strings),
  );
  pipe("k", "v", 100);
  assert.deepEqual(values(outputs), ["k:left 3@10", "k:left 2@11", "k:left 1@12", "k:left 0@13"]);
});

/** Registers a processing-time timer `record.value` ms after the task's wall clock. */
function processingTimeTimers(b: StreamsBuilder): void {
  b.stream("in", strings)
    .process<string, string>(() => {
      let context!: ProcessorContext<string, string, string>;
      return {
        init: (c) => (context = c),
        process: (r) => context.timers.register(r.key, context.currentSystemTimeMs() + Number(r.value), { type: "processingTime" }),
        onTimer: (timer) => context.forward({ key: timer.key, value: `${timer.type} ${timer.timeMs}`, timestamp: timer.timeMs, headers: {} }),
      };
    })
    .to("out", strings);
}

test("processing-time timers fire on the wall-clock tick, in order, and not on stream time", () => {
  const { pipe, outputs, task } = testTask(processingTimeTimers);
  task.systemTimeMs = () => 1_000;
  pipe("late", "300", 5_000_000);
  pipe("early", "100", 5_000_000);
  pipe("never", "900", 9_000_000);
  assert.deepEqual(outputs, []);
  assert.equal(task.punctuateWallClock(1_099), 0);
  assert.equal(task.punctuateWallClock(1_300), 2);
  assert.deepEqual(values(outputs), ["early:processingTime 1100@1100", "late:processingTime 1300@1300"]);
  assert.equal(task.punctuateWallClock(1_500), 0);
});

test("timers committed to the state file fire after the task is built again on it", (t) => {
  const path = join(tempDir(t), "app", "0_0.sqlite");
  const first = testTask(inactivity, StateFile.open(path, { cacheMaxBytes: 1 << 20 }));
  first.pipe("a", "1", 100);
  first.pipe("b", "2", 105);
  first.commit();
  // Never committed: c's timer must not survive, and a's and b's firing (with their deletes) is undone.
  first.pipe("c", "lost", 121);
  assert.equal(first.outputs.filter(([, , v]) => v?.startsWith("inactive")).length, 2);
  first.task.close();
  first.file.close();

  const file = StateFile.open(path, { cacheMaxBytes: 1 << 20 });
  t.after(() => file.close());
  const second = testTask(inactivity, file);
  second.pipe("z", "3", 1_000);
  assert.deepEqual(values(second.outputs), ["z:seen 3@1000", "a:inactive after 1@110", "b:inactive after 2@115"]);
});

test("an error in onTimer fails naming the processor, the timer and the record that fired it", () => {
  const { pipe } = testTask((b) =>
    b.stream("in", strings).process<string, string>(() => {
      let context!: ProcessorContext<string, string, string>;
      return {
        init: (c) => (context = c),
        process: (r) => context.timers.register(r.key, r.timestamp, { type: "eventTime" }),
        onTimer: () => {
          throw new Error("boom");
        },
      };
    }, { name: "fragile" }),
  );
  assert.throws(() => pipe("k", "v", 7), /WEIR_PROCESSING_FAILED: processor fragile failed in an event-time timer at stream time 7 after record in-0@\d+: boom/);
});

test("a processor without onTimer has no timers (and no timer store)", () => {
  const { pipe } = testTask((b) =>
    b.stream("in", strings).process<string, string>(() => {
      let context!: ProcessorContext<string, string, string>;
      return { init: (c) => (context = c), process: (r) => context.timers.register(r.key, 1, { type: "eventTime" }) };
    }, { name: "no-on-timer" }),
  );
  assert.throws(() => pipe("k", "v", 7), /processor no-on-timer has no timers: only processors added with process\(\) that define onTimer have them/);
});

test("timers need the key serde when an operator before process() changed the key", () => {
  const register = (b: StreamsBuilder, key?: typeof serdes.string extends () => infer S ? S : never) =>
    b
      .stream("in", strings)
      .map((k, v): [string, string] => [k + "!", v])
      .process<string, string>(() => {
        let context!: ProcessorContext<string, string, string>;
        return {
          init: (c) => (context = c),
          process: (r) => context.timers.register(r.key, 0, { type: "eventTime" }),
          onTimer: (timer: Timer<string>) => context.forward({ key: timer.key, value: "fired", timestamp: 0, headers: {} }),
        };
      }, key ? { key } : {})
      .to("out", strings);
  assert.throws(() => testTask((b) => register(b)).pipe("k", "v", 1), /key serde is not known: pass process\(supplier, \{ key: serde \}\)/);
  const { pipe, outputs } = testTask((b) => register(b, serdes.string()));
  pipe("k", "v", 1);
  assert.deepEqual(values(outputs), ["k!:fired@0"]);
});

test("a timer runs without a current record: recordMetadata() is undefined in onTimer", () => {
  const seen: unknown[] = [];
  const { pipe } = testTask((b) =>
    b.stream("in", strings).process<string, string>(() => {
      let context!: ProcessorContext<string, string, string>;
      return {
        init: (c) => (context = c),
        process: (r) => {
          seen.push(context.recordMetadata()?.topic);
          context.timers.register(r.key, r.timestamp, { type: "eventTime" });
        },
        onTimer: () => void seen.push(context.recordMetadata()),
      };
    }),
  );
  pipe("k", "v", 5);
  assert.deepEqual(seen, ["in", undefined]);
});
