// The timestamp-order test's app: orders left-joined with the customers table by customer id. Which
// customer name an order gets depends on whether the task took the two topics' records in event-time order.
import { StreamsBuilder, app, serdes } from "weir-streams";

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} must name the topic`);
  return value;
}

const strings = { key: serdes.string(), value: serdes.string() };
const builder = new StreamsBuilder();
const customers = builder.table(required("ORDER_CUSTOMERS_TOPIC"), { ...strings, store: "customers" });
builder
  .stream(required("ORDER_ORDERS_TOPIC"), strings)
  .leftJoin(customers, (order, customer) => `${order}|${customer ?? "none"}`)
  .to(required("ORDER_OUT_TOPIC"), strings);

export default app({
  applicationId: "timestamp-order",
  topology: builder.build(),
  processingGuarantee: "exactly_once",
  commitIntervalMs: 100,
});
