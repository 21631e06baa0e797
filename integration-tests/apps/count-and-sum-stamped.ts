// The incremental-rebalance test's app: count-and-sum (integration-tests/apps/count-and-sum.ts), each update
// stamped with the wall-clock time it was processed, so that the test sees every partition's processing gaps.
import { StreamsBuilder, app, serdes } from "weir-streams";

interface Payment {
  readonly amount: number;
}

interface Totals {
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
  .stream(required("COUNT_INPUT_TOPIC"), { key: serdes.string(), value: serdes.json<Payment>() })
  .groupByKey()
  .aggregate(
    (): Totals => ({ count: 0, sum: 0 }),
    (_key, payment, totals) => ({ count: totals.count + 1, sum: totals.sum + payment.amount }),
    { store: "totals", value: serdes.json<Totals>() },
  )
  .toStream()
  .mapValues((totals) => ({ ...totals, processedAt: Date.now() }))
  .to(required("COUNT_OUTPUT_TOPIC"), { key: serdes.string(), value: serdes.json<Totals & { processedAt: number }>() });

export default app({
  applicationId: "count-and-sum-stamped",
  topology: builder.build(),
  processingGuarantee: "exactly_once",
  commitIntervalMs: 100,
});
