// The parity test's topology (issue 5): a windowed count with suppress, and a stream–stream join. The app
// (parity.ts) runs it for the topics named in PARITY_*_TOPIC; the TopologyTestDriver runs it too.
import { JoinWindows, StreamsBuilder, Suppressed, TimeWindows, serdes, type Topology } from "weir-streams";

export const topicEnv = {
  clicks: "PARITY_CLICKS_TOPIC",
  counts: "PARITY_COUNTS_TOPIC",
  orders: "PARITY_ORDERS_TOPIC",
  payments: "PARITY_PAYMENTS_TOPIC",
  paid: "PARITY_PAID_TOPIC",
} as const;

export type ParityTopics = Readonly<Record<keyof typeof topicEnv, string>>;

const strings = { key: serdes.string(), value: serdes.string() };

export function buildParityTopology(topics: ParityTopics): Topology {
  const builder = new StreamsBuilder();
  builder
    .stream(topics.clicks, strings)
    .groupByKey()
    .windowedBy(TimeWindows.ofSizeAndGrace("1m", "5s"))
    .count({ store: "clicks-per-minute" })
    .suppress(Suppressed.untilWindowCloses())
    .toStream()
    .to(topics.counts, { key: serdes.windowed(serdes.string()), value: serdes.int64() });
  const payments = builder.stream(topics.payments, strings);
  builder
    .stream(topics.orders, strings)
    // A day of grace: which topic's batch the runtime takes first must not make a record late.
    .join(payments, (order, payment) => `${order} paid by ${payment}`, JoinWindows.ofTimeDifferenceAndGrace("2m", "1d"))
    .to(topics.paid, strings);
  return builder.build();
}
