// Punctuators follow Kafka Streams' documented semantics (Processor API, "Punctuation"; PunctuationQueue and
// PunctuationSchedule.next): stream-time schedules are aligned to 0 and first run at the first record;
// wall-clock ones first run `interval` after scheduling; a punctuator runs at most once per check, and
// missed intervals are skipped; the callback gets the current time, not the scheduled one.
import { test } from "node:test";
import assert from "node:assert/strict";
import { serdes } from "../serdes/serde.ts";
import type { StreamsBuilder } from "../topology/streams-builder.ts";
import type { ProcessorContext } from "./processor.ts";
import type { Cancellable, PunctuationType } from "./punctuators.ts";
import { testTask } from "./test-task.ts";

const strings = { key: serdes.string(), value: serdes.string() };

/** A processor that schedules one punctuator at its first record and records each call; a record "cancel" cancels it. */
function scheduling(type: PunctuationType, intervalMs: number, calls: number[]) {
  return (b: StreamsBuilder) =>
    b
      .stream("in", strings)
      .process<string, string>(() => {
        let schedule: Cancellable | undefined;
        let context!: ProcessorContext<string, string>;
        return {
          init: (c) => (context = c),
          process: (r) => {
            schedule ??= context.schedule(intervalMs, type, (ts) => {
              calls.push(ts);
              context.forward({ key: "tick", value: String(ts), timestamp: ts, headers: {} });
            });
            if (r.value === "cancel") schedule.cancel();
          },
        };
      })
      .to("out", strings);
}

test("a stream-time punctuator runs at the first record, then once per interval boundary stream time crosses", () => {
  const calls: number[] = [];
  const { pipe, outputs } = testTask(scheduling("streamTime", 10, calls));
  pipe("k", "v", 3); // schedule at 0 is due: runs with stream time 3, next at 10
  pipe("k", "v", 9);
  pipe("k", "v", 10); // runs, next at 20
  pipe("k", "v", 5); // stream time stays 10
  pipe("k", "v", 47); // 20, 30, 40 all passed: runs once, next at 50
  pipe("k", "v", 49);
  assert.deepEqual(calls, [3, 10, 47]);
  assert.deepEqual(outputs.map(([, k, v]) => `${k}:${v}`), ["tick:3", "tick:10", "tick:47"]);
});

test("a wall-clock punctuator first runs an interval after it was scheduled, and skips missed intervals", () => {
  const calls: number[] = [];
  const { pipe, task } = testTask(scheduling("wallClockTime", 100, calls));
  const start = 1_000;
  task.systemTimeMs = () => start;
  pipe("k", "v", 1_000_000); // schedules at 1000; stream time does not drive it
  assert.equal(task.punctuateWallClock(start - 1_000), 0);
  assert.equal(task.punctuateWallClock(start + 100), 1);
  assert.equal(task.punctuateWallClock(start + 150), 0);
  assert.equal(task.punctuateWallClock(start + 520), 1);
  assert.equal(task.punctuateWallClock(start + 599), 0);
  assert.equal(task.punctuateWallClock(start + 600), 1);
  assert.deepEqual(calls, [start + 100, start + 520, start + 600]);
});

test("a cancelled punctuator does not run again", () => {
  const calls: number[] = [];
  const { pipe } = testTask(scheduling("streamTime", 10, calls));
  pipe("k", "v", 0);
  pipe("k", "cancel", 5);
  pipe("k", "v", 100);
  assert.deepEqual(calls, [0]);
});

test("stream time and the wall clock are visible to processors", () => {
  const seen: [number, number][] = [];
  const { pipe, task } = testTask((b) =>
    b.stream("in", strings).process<string, string>(() => {
      let context!: ProcessorContext<string, string>;
      return { init: (c) => (context = c), process: () => void seen.push([context.currentStreamTimeMs(), context.currentSystemTimeMs()]) };
    }),
  );
  assert.equal(task.streamTimeMs, -1);
  task.systemTimeMs = () => 42;
  pipe("k", "v", 7);
  pipe("k", "v", 5);
  assert.deepEqual(seen, [[7, 42], [7, 42]]);
});
