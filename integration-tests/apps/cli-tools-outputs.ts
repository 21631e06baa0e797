// The CLI tools test's app: per user, the records of each 1-minute window (a windowed key), and each record
// re-keyed by its amount (an int64 key), so that `weir tail` has both kinds of keys to decode.
import { StreamsBuilder, TimeWindows, app, serdes } from "weir-streams";

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} must name the topic`);
  return value;
}

interface Payment {
  readonly amount: number;
}

const builder = new StreamsBuilder();
const payments = builder.stream(required("CLI_TOOLS_INPUT_TOPIC"), { key: serdes.string(), value: serdes.json<Payment>() });
payments
  .groupByKey()
  .windowedBy(TimeWindows.ofSizeWithNoGrace("1m"))
  .count({ store: "counts" })
  .toStream()
  .to(required("CLI_TOOLS_WINDOWED_TOPIC"), { key: serdes.windowed(serdes.string()), value: serdes.int64() });
payments
  .map((user, payment) => [payment.amount, user] as const)
  .to(required("CLI_TOOLS_INT64_TOPIC"), { key: serdes.int64(), value: serdes.string() });

export default app({
  applicationId: "cli-tools-outputs",
  topology: builder.build(),
  // Every update of a count goes out, so the test knows how many records to read.
  cacheMaxBytes: 0,
});
