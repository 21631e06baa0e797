// The windowed-aggregation test's app: per key, the number of records in each 1-minute tumbling window
// (10 s grace), only the final count of each window, and records later than that to a late-records topic.
import { StreamsBuilder, Suppressed, TimeWindows, app, serdes } from "weir-streams";

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} must name the topic`);
  return value;
}

const builder = new StreamsBuilder();
builder
  .stream(required("WINDOW_INPUT_TOPIC"), { key: serdes.string(), value: serdes.string() })
  .groupByKey()
  .windowedBy(TimeWindows.ofSizeAndGrace("1m", "10s"), { lateRecords: { topic: required("WINDOW_LATE_TOPIC") } })
  .count({ store: "counts" })
  .suppress(Suppressed.untilWindowCloses(), { store: "finals" })
  .toStream()
  .to(required("WINDOW_OUTPUT_TOPIC"), { key: serdes.windowed(serdes.string()), value: serdes.int64() });

export default app({
  applicationId: "windowed-count",
  topology: builder.build(),
  processingGuarantee: "exactly_once",
  commitIntervalMs: 100,
});
