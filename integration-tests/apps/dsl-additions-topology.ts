// Issue 15's DSL additions on the broker: KStream.toTable (also after a key change, through a repartition
// topic), a stream–table join and a table–table left join on derived tables (filter, mapValues), a windowed
// count and a sliding-window count with EmitStrategy.onWindowClose (final results from the window store, no
// suppress buffer). One input
// topic, so the broker run and the TopologyTestDriver see the records in the same order.
import { EmitStrategy, SlidingWindows, StreamsBuilder, TimeWindows, serdes, type Topology } from "weir-streams";

export const topicEnv = {
  events: "DSL_ADDITIONS_EVENTS_TOPIC",
  priced: "DSL_ADDITIONS_PRICED_TOPIC",
  offers: "DSL_ADDITIONS_OFFERS_TOPIC",
  latest: "DSL_ADDITIONS_LATEST_TOPIC",
  closed: "DSL_ADDITIONS_CLOSED_TOPIC",
  closedSliding: "DSL_ADDITIONS_CLOSED_SLIDING_TOPIC",
} as const;

export type DslAdditionsTopics = Readonly<Record<keyof typeof topicEnv, string>>;

const strings = { key: serdes.string(), value: serdes.string() };

/** Events are `price:<cents>`, `stock:<count>` or `order:<customer>` keyed by product. */
export function buildDslAdditionsTopology(topics: DslAdditionsTopics): Topology {
  const b = new StreamsBuilder();
  const events = b.stream(topics.events, strings);
  const kindOf = (v: string) => v.split(":")[0];
  const payload = (v: string) => v.slice(v.indexOf(":") + 1);
  const prices = events.filter((_k, v) => kindOf(v) === "price").mapValues(payload).toTable({ store: "prices", value: serdes.string() });
  const stock = events.filter((_k, v) => kindOf(v) === "stock").mapValues(payload).toTable({ store: "stock", value: serdes.string() });
  // Derived tables: no store of their own; joins read them through the prices and stock stores.
  const euros = prices.mapValues((cents) => (Number(cents) / 100).toFixed(2));
  const inStock = stock.filter((_k, n) => Number(n) > 0);
  events
    .filter((_k, v) => kindOf(v) === "order")
    .mapValues(payload)
    .leftJoin(euros, (customer, price) => `${customer} pays ${price ?? "?"}`)
    .to(topics.priced, strings);
  euros
    .leftJoin(inStock, (price, n) => (n === null ? `${price}, sold out` : `${price}, ${n} left`))
    .toStream()
    .to(topics.offers, strings);
  // The latest order per customer: a key change, so toTable repartitions first.
  events
    .filter((_k, v) => kindOf(v) === "order")
    .selectKey((_k, v) => payload(v))
    .toTable({ name: "latest-order", store: "latest-order", key: serdes.string(), value: serdes.string() })
    .toStream()
    .to(topics.latest, strings);
  // Events per product and minute, each window's count once, when it closes.
  events
    .groupByKey()
    .windowedBy(TimeWindows.ofSizeAndGrace("1m", "5s"))
    .emitStrategy(EmitStrategy.onWindowClose())
    .count({ store: "events-per-minute" })
    .toStream()
    .to(topics.closed, { key: serdes.windowed(serdes.string()), value: serdes.int64() });
  // Events per product within 30 s of each other (sliding windows), each window's count once, when it closes.
  events
    .groupByKey()
    .windowedBy(SlidingWindows.ofTimeDifferenceAndGrace("30s", "5s"))
    .emitStrategy(EmitStrategy.onWindowClose())
    .count({ store: "events-sliding" })
    .toStream()
    .to(topics.closedSliding, { key: serdes.windowed(serdes.string()), value: serdes.int64() });
  return b.build();
}
