// The schema-registry tests' app: reads payments (key and value in the format REG_FORMAT), doubles each
// amount, and writes them on in the same format. REG_READER and REG_WRITER pick the Avro value schemas.
import { StreamsBuilder, app } from "weir-streams";
import { paymentSerdes, type AvroVersion, type Format } from "../helpers/registry-schemas.ts";

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} must be set`);
  return value;
}

const format = required("REG_FORMAT") as Format;
const input = paymentSerdes(format, (process.env.REG_READER ?? "v1") as AvroVersion);
const output = paymentSerdes(format, (process.env.REG_WRITER ?? process.env.REG_READER ?? "v1") as AvroVersion);

const builder = new StreamsBuilder();
builder
  .stream(required("REG_INPUT_TOPIC"), input)
  .mapValues((payment) => ({ ...payment, amount: payment.amount * 2 }))
  .to(required("REG_OUTPUT_TOPIC"), output);

export default app({ applicationId: "registry-payments", topology: builder.build() });
