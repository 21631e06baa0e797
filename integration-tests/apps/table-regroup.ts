// The DSL-tables test's re-grouping app: a users table (user → country) re-grouped by country and counted,
// through the repartition topic <applicationId>-by-country-repartition.
import { StreamsBuilder, app, serdes } from "weir-streams";

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} must name the topic`);
  return value;
}

const builder = new StreamsBuilder();
builder
  .table(required("REGROUP_USERS_TOPIC"), { key: serdes.string(), value: serdes.string(), store: "users" })
  .groupBy((_user, country) => [country, 1] as const, { name: "by-country", key: serdes.string(), value: serdes.int64() })
  .count({ store: "users-per-country" })
  .toStream()
  .to(required("REGROUP_OUTPUT_TOPIC"), { key: serdes.string(), value: serdes.int64() });

export default app({
  applicationId: "table-regroup",
  topology: builder.build(),
  processingGuarantee: "exactly_once",
  commitIntervalMs: 100,
});
