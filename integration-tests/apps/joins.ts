// The joins test's app: orders joined with the customers table (by the order's key, the customer id)
// and, left, with the products global table (by the product id in the order's value "<product>:<qty>").
import { StreamsBuilder, app, serdes } from "weir-streams";

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} must name the topic`);
  return value;
}

const strings = { key: serdes.string(), value: serdes.string() };
const builder = new StreamsBuilder();
const customers = builder.table(required("JOIN_CUSTOMERS_TOPIC"), { ...strings, store: "customers" });
const products = builder.globalTable(required("JOIN_PRODUCTS_TOPIC"), { ...strings, store: "products" });
const orders = builder.stream(required("JOIN_ORDERS_TOPIC"), strings);
orders.join(customers, (order, customer) => `${order}|${customer}`).to(required("JOIN_CUSTOMER_OUT_TOPIC"), strings);
orders
  .leftJoin(products, (_customer, order) => order.split(":")[0]!, (order, product) => `${order}|${product ?? "unknown"}`)
  .to(required("JOIN_PRODUCT_OUT_TOPIC"), strings);

export default app({
  applicationId: "joins",
  topology: builder.build(),
  processingGuarantee: "exactly_once",
  commitIntervalMs: 100,
});
