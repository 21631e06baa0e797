// Real-time aggregates over orders: revenue, units and order counts per product and per region, over
// tumbling 1-minute and hopping 5-minute windows (advancing by a minute), each written once when its window
// closes; and the top 3 products by revenue of every minute, ranked after re-keying the products' final
// minute totals by minute. Event time throughout: the results depend on the orders only.
import { StreamsBuilder, Suppressed, TimeWindows, app, serdes, type KStream, type Topology } from "weir-streams";

/** One order, keyed by `orderId`; its event time is the record's timestamp. */
export interface Order {
  readonly orderId: string;
  readonly product: string;
  readonly region: string;
  readonly quantity: number;
  /** In dollars, with cents: 19.99. */
  readonly unitPrice: number;
}

/** A window's running totals; revenue in whole cents, so sums are exact. */
export interface Totals {
  readonly orders: number;
  readonly quantity: number;
  readonly revenueCents: number;
}

/** One per product (or region) and window, keyed by the product (or region), when the window closes. */
export interface WindowTotals {
  readonly windowStart: string;
  readonly windowEnd: string;
  readonly orders: number;
  readonly quantity: number;
  readonly revenue: number;
}

export interface RankedProduct {
  readonly product: string;
  readonly revenue: number;
  readonly orders: number;
}

/** One per minute, keyed by the minute's start: its best-selling products by revenue, best first. */
export interface TopProducts {
  readonly minute: string;
  readonly top: readonly RankedProduct[];
}

export interface AggregateTopics {
  readonly orders: string;
  readonly productRevenue1m: string;
  readonly productRevenue5m: string;
  readonly regionRevenue1m: string;
  readonly regionRevenue5m: string;
  readonly topProducts1m: string;
}

const env = process.env;
export const topics: AggregateTopics = {
  orders: env.REALTIME_AGGREGATES_ORDERS_TOPIC ?? "orders",
  productRevenue1m: env.REALTIME_AGGREGATES_PRODUCT_1M_TOPIC ?? "revenue-per-product-1m",
  productRevenue5m: env.REALTIME_AGGREGATES_PRODUCT_5M_TOPIC ?? "revenue-per-product-5m",
  regionRevenue1m: env.REALTIME_AGGREGATES_REGION_1M_TOPIC ?? "revenue-per-region-1m",
  regionRevenue5m: env.REALTIME_AGGREGATES_REGION_5M_TOPIC ?? "revenue-per-region-5m",
  topProducts1m: env.REALTIME_AGGREGATES_TOP_PRODUCTS_TOPIC ?? "top-products-1m",
};

/** Orders may arrive 10 s late for their window. */
export const GRACE = "10s";
/** How long a minute's ranking waits for products' finals from other partitions (see sessions' active users). */
export const RANKING_GRACE = "2m";
export const TOP_N = 3;

const noTotals: Totals = { orders: 0, quantity: 0, revenueCents: 0 };

export function addOrder(order: Order, t: Totals): Totals {
  return { orders: t.orders + 1, quantity: t.quantity + order.quantity, revenueCents: t.revenueCents + Math.round(order.quantity * order.unitPrice * 100) };
}

/** Best first: more revenue, then the product name; at most TOP_N. */
export function rank(top: readonly RankedProduct[], candidate: RankedProduct): RankedProduct[] {
  return [...top.filter((p) => p.product !== candidate.product), candidate]
    .sort((a, b) => b.revenue - a.revenue || (a.product < b.product ? -1 : a.product > b.product ? 1 : 0))
    .slice(0, TOP_N);
}

const iso = (ms: number) => new Date(ms).toISOString();
const windowed = { key: serdes.string(), value: serdes.json<WindowTotals>() };

/**
 * The orders grouped by one of their fields (through a repartition topic), totalled per tumbling minute and
 * per hopping 5 minutes, each window written once to its topic; returns the final minute totals.
 */
function revenueBy(orders: KStream<string, Order>, field: "product" | "region", oneMinute: string, fiveMinutes: string): KStream<string, WindowTotals> {
  const grouped = orders.groupBy((_, order) => order[field], { name: `orders-by-${field}`, key: serdes.string(), value: serdes.json<Order>() });
  const totals = (windows: TimeWindows, store: string, topic: string) => {
    const finals = grouped
      .windowedBy(windows)
      .aggregate(() => noTotals, (_, order, t) => addOrder(order, t), { store, value: serdes.json<Totals>() })
      .suppress(Suppressed.untilWindowCloses(), { name: `${store}-final`, store: `${store}-final` })
      .toStream()
      .map((w, t): [string, WindowTotals] => [
        w.key,
        { windowStart: iso(w.window.start), windowEnd: iso(w.window.end), orders: t.orders, quantity: t.quantity, revenue: t.revenueCents / 100 },
      ], { name: `${store}-totals` });
    finals.to(topic, windowed);
    return finals;
  };
  totals(TimeWindows.ofSizeAndGrace("5m", GRACE).advanceBy("1m"), `${field}-revenue-5m`, fiveMinutes);
  return totals(TimeWindows.ofSizeAndGrace("1m", GRACE), `${field}-revenue-1m`, oneMinute);
}

export function buildTopology(t: AggregateTopics = topics): Topology {
  const builder = new StreamsBuilder();
  const orders = builder.stream(t.orders, { key: serdes.string(), value: serdes.json<Order>() });

  const productMinutes = revenueBy(orders, "product", t.productRevenue1m, t.productRevenue5m);
  revenueBy(orders, "region", t.regionRevenue1m, t.regionRevenue5m);

  // Top products per minute: each product's final minute total, re-keyed by the minute, so that one task
  // sees every product of a minute; the aggregate keeps the best TOP_N candidates, written once per minute.
  productMinutes
    .map((product, m): [string, RankedProduct] => [m.windowStart, { product, revenue: m.revenue, orders: m.orders }], { name: "key-by-minute" })
    // A product's minute total carries the time of its last order in that minute: it falls in that minute here.
    .groupByKey({ name: "product-minutes-by-minute", key: serdes.string(), value: serdes.json<RankedProduct>() })
    .windowedBy(TimeWindows.ofSizeAndGrace("1m", RANKING_GRACE))
    .aggregate((): RankedProduct[] => [], (_, candidate, top) => rank(top, candidate), { store: "top-products", value: serdes.json<RankedProduct[]>() })
    .suppress(Suppressed.untilWindowCloses(), { name: "top-products-final", store: "top-products-final" })
    .toStream()
    .map((minute, top): [string, TopProducts] => [minute.key, { minute: minute.key, top }], { name: "top-products-record" })
    .to(t.topProducts1m, { key: serdes.string(), value: serdes.json<TopProducts>() });

  return builder.build();
}

export default app({ applicationId: process.env.REALTIME_AGGREGATES_APPLICATION_ID ?? "realtime-aggregates", topology: buildTopology() });
