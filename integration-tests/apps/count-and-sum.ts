// The exactly-once chaos test's app: per key, count the records and sum their amounts, emitting every update.
import { StreamsBuilder, app, serdes } from "weir-streams";

export interface Payment {
  readonly amount: number;
}

export interface Totals {
  readonly count: number;
  readonly sum: number;
}

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} must name the topic`);
  return value;
}

const builder = new StreamsBuilder();
builder
  // One topic, or several co-partitioned ones separated by commas (each task then reads one partition of each).
  .stream(required("COUNT_INPUT_TOPIC").split(","), { key: serdes.string(), value: serdes.json<Payment>() })
  .groupByKey()
  .aggregate(
    (): Totals => ({ count: 0, sum: 0 }),
    (_key, payment, totals) => ({ count: totals.count + 1, sum: totals.sum + payment.amount }),
    { store: "totals", value: serdes.json<Totals>() },
  )
  .toStream()
  .to(required("COUNT_OUTPUT_TOPIC"), { key: serdes.string(), value: serdes.json<Totals>() });

export default app({
  applicationId: "count-and-sum",
  topology: builder.build(),
  processingGuarantee: "exactly_once",
  commitIntervalMs: 100,
});
