// The repartition test's app: payments keyed by account are re-keyed by amount bucket (groupBy) and
// counted per bucket, which sends them through the repartition topic <applicationId>-by-bucket-repartition.
import { StreamsBuilder, app, serdes } from "weir-streams";

interface Payment {
  readonly amount: number;
}

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} must name the topic`);
  return value;
}

const builder = new StreamsBuilder();
builder
  .stream(required("REGROUP_INPUT_TOPIC"), { key: serdes.string(), value: serdes.json<Payment>() })
  .groupBy((_account, payment) => `bucket-${payment.amount % 10}`, { name: "by-bucket", key: serdes.string() })
  .count({ store: "bucket-counts" })
  .toStream()
  .to(required("REGROUP_OUTPUT_TOPIC"), { key: serdes.string(), value: serdes.int64() });

export default app({
  applicationId: "regroup-count",
  topology: builder.build(),
  processingGuarantee: "exactly_once",
  commitIntervalMs: 100,
});
