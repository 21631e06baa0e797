// Versioned tables on the broker: a table of prices kept with its history (KIP-889/914) and a stream of
// orders joined with the price as of each order's time, held back by a grace period (KIP-923) so that price
// updates arriving up to the grace late are seen. The results do not depend on how the broker interleaves
// the two topics, so they must equal the TopologyTestDriver's, which reads one topic after the other.
import { StreamsBuilder, serdes, type Topology } from "weir-streams";

export const topicEnv = {
  prices: "VERSIONED_JOIN_PRICES_TOPIC",
  orders: "VERSIONED_JOIN_ORDERS_TOPIC",
  priced: "VERSIONED_JOIN_PRICED_TOPIC",
  updates: "VERSIONED_JOIN_UPDATES_TOPIC",
} as const;

export type VersionedJoinTopics = Readonly<Record<keyof typeof topicEnv, string>>;

const strings = { key: serdes.string(), value: serdes.string() };

/** Prices and orders are keyed by product; an order's value is the customer. */
export function buildVersionedJoinTopology(topics: VersionedJoinTopics): Topology {
  const b = new StreamsBuilder();
  const prices = b.table(topics.prices, { ...strings, store: "prices", versioned: { historyRetention: "1d" } });
  // Every update, an out-of-order price too (it is in the history, and toStream sees it, as in Kafka Streams' KIP-914).
  prices.toStream().to(topics.updates, strings);
  b.stream(topics.orders, strings)
    .leftJoin(prices, (customer, price) => `${customer} pays ${price ?? "?"}`, { name: "priced-orders", gracePeriod: "10s" })
    .to(topics.priced, strings);
  return b.build();
}
