// The poison-record tests' app: Avro payments in, JSON out; a payment with a negative amount makes the
// user function throw. The handlers come from WEIR_*_ERROR_HANDLER.
import { StreamsBuilder, app, serdes } from "weir-streams";
import { avroPayment, type Payment } from "../helpers/registry-schemas.ts";

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} must be set`);
  return value;
}

const builder = new StreamsBuilder();
builder
  .stream(required("POISON_INPUT_TOPIC"), { key: serdes.string(), value: serdes.avro<Payment>({ schema: avroPayment.v1 }) })
  .mapValues((payment) => {
    if (payment.amount < 0) throw new Error(`negative amount ${payment.amount}`);
    return { id: payment.id, amount: payment.amount };
  })
  .to(required("POISON_OUTPUT_TOPIC"), { key: serdes.string(), value: serdes.json<Payment>() });

export default app({ applicationId: "poison-payments", topology: builder.build(), processingGuarantee: "exactly_once" });
