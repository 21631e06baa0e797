// W2 (and W4, W6: the same store restored from its changelog): count per key. Values are not parsed,
// as in the Kafka Streams peer; the store "counts" holds string keys and int64 counts.
import { StreamsBuilder, app, serdes } from "weir-streams";
import { topic } from "./topics.ts";

const builder = new StreamsBuilder();
builder
  .stream(topic("BENCH_INPUT"), { key: serdes.string(), value: serdes.bytes() })
  .groupByKey()
  .count({ store: "counts" })
  .toStream()
  .to(topic("BENCH_OUTPUT"), { key: serdes.string(), value: serdes.int64() });

export default app({ applicationId: "bench-w2", topology: builder.build(), processingGuarantee: "exactly_once", commitIntervalMs: 100 });
