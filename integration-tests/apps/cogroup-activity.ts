// The DSL-tables test's cogroup app: clicks (customer → page) and purchases (customer → amount) folded into
// one activity aggregate per customer in the store "activity".
import { StreamsBuilder, app, serdes } from "weir-streams";

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} must name the topic`);
  return value;
}

interface Activity {
  readonly clicks: number;
  readonly spent: number;
}

const builder = new StreamsBuilder();
const clicks = builder.stream(required("COGROUP_CLICKS_TOPIC"), { key: serdes.string(), value: serdes.string() }).groupByKey();
const purchases = builder.stream(required("COGROUP_PURCHASES_TOPIC"), { key: serdes.string(), value: serdes.int64() }).groupByKey();
clicks
  .cogroup<Activity>((_customer, _page, a) => ({ ...a, clicks: a.clicks + 1 }))
  .cogroup(purchases, (_customer, amount, a) => ({ ...a, spent: a.spent + amount }))
  .aggregate(() => ({ clicks: 0, spent: 0 }), { store: "activity", value: serdes.json<Activity>() })
  .toStream()
  .to(required("COGROUP_OUTPUT_TOPIC"), { key: serdes.string(), value: serdes.json<Activity>() });

export default app({
  applicationId: "cogroup-activity",
  topology: builder.build(),
  processingGuarantee: "exactly_once",
  commitIntervalMs: 100,
});
