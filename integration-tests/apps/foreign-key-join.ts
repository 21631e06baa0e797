// The DSL-tables test's foreign-key join app: orders (order → "<product>:<qty>") joined with products
// (product → name) by the product the order names, through the join's internal topics: an inner join and
// a left join of the same tables.
import { StreamsBuilder, app, serdes } from "weir-streams";

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} must name the topic`);
  return value;
}

const strings = { key: serdes.string(), value: serdes.string() };
const productOf = (order: string) => order.split(":")[0] || null;
const builder = new StreamsBuilder();
const orders = builder.table(required("FK_ORDERS_TOPIC"), { ...strings, store: "orders" });
const products = builder.table(required("FK_PRODUCTS_TOPIC"), { ...strings, store: "products" });
orders
  .join(products, productOf, (order, product) => `${order}|${product}`, { name: "order-product" })
  .toStream()
  .to(required("FK_INNER_OUTPUT_TOPIC"), strings);
// A second join on the same tables, with its own internal topics and stores.
orders
  .leftJoin(products, productOf, (order, product) => `${order}|${product ?? "?"}`, { name: "order-product-left" })
  .toStream()
  .to(required("FK_LEFT_OUTPUT_TOPIC"), strings);

export default app({
  applicationId: "foreign-key-join",
  topology: builder.build(),
  processingGuarantee: "exactly_once",
  commitIntervalMs: 100,
  // maxTaskIdleMs stays at its default 0: each side's task reads a table topic and the other side's internal
  // topic, written in transactions, and waits on it only while it has records not fetched yet.
});
