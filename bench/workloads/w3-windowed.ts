// W3: tumbling one-minute windows, grace 10 s, the sum of `amount` per key and window, one final result per
// window (suppress until the window closes), exactly-once. The Kafka Streams peer's "w3" topology: its
// output key is `<key>@<window start>`, its value an int64 sum.
import { StreamsBuilder, Suppressed, TimeWindows, app, serdes } from "weir-streams";
import type { InputValue } from "../lib/records.ts";
import { topic } from "./topics.ts";

const builder = new StreamsBuilder();
builder
  .stream(topic("BENCH_INPUT"), { key: serdes.string(), value: serdes.json<InputValue>() })
  .groupByKey()
  .windowedBy(TimeWindows.ofSizeAndGrace("1m", "10s"))
  .aggregate(
    () => 0,
    (_key, v, sum) => sum + v.amount,
    { store: "sums-1m", value: serdes.int64() },
  )
  .suppress(Suppressed.untilWindowCloses())
  .toStream()
  .map((wk, sum): readonly [string, number] => [`${wk.key}@${wk.window.start}`, sum])
  .to(topic("BENCH_OUTPUT"), { key: serdes.string(), value: serdes.int64() });

export default app({ applicationId: "bench-w3", topology: builder.build(), processingGuarantee: "exactly_once" });
