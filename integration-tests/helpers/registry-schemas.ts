// The schemas the registry integration tests and their apps share: a payment keyed by a payment key, in
// Avro (two versions: v2 adds a defaulted field, and one incompatible), JSON Schema and Protobuf.
import { serdes, type Serde } from "../../src/index.ts";

export interface PaymentKey {
  readonly id: string;
}

export interface Payment {
  readonly id: string;
  readonly amount: number;
  readonly currency?: string;
}

export type Format = "avro" | "jsonSchema" | "protobuf";
export type AvroVersion = "v1" | "v2" | "incompatible";

const avroKey = { type: "record", name: "PaymentKey", namespace: "weir.it", fields: [{ name: "id", type: "string" }] };
export const avroPayment: Record<AvroVersion, object> = {
  v1: { type: "record", name: "Payment", namespace: "weir.it", fields: [{ name: "id", type: "string" }, { name: "amount", type: "double" }] },
  v2: {
    type: "record",
    name: "Payment",
    namespace: "weir.it",
    fields: [{ name: "id", type: "string" }, { name: "amount", type: "double" }, { name: "currency", type: "string", default: "EUR" }],
  },
  // `amount` changes type: a reader of this schema cannot read what v1 wrote.
  incompatible: { type: "record", name: "Payment", namespace: "weir.it", fields: [{ name: "id", type: "string" }, { name: "amount", type: "string" }] },
};

const jsonKey = { title: "PaymentKey", type: "object", properties: { id: { type: "string" } }, required: ["id"] };
const jsonPayment = {
  title: "Payment",
  type: "object",
  properties: { id: { type: "string" }, amount: { type: "number" } },
  required: ["id", "amount"],
  additionalProperties: false,
};

const protoKey = 'syntax = "proto3";\npackage weir.it;\nmessage PaymentKey { string id = 1; }\n';
const protoPayment = 'syntax = "proto3";\npackage weir.it;\nmessage Payment { string id = 1; double amount = 2; }\n';

/** The key and value serdes of a format; `version` picks the Avro value schema. */
export function paymentSerdes(format: Format, version: AvroVersion = "v1", registry?: string): { key: Serde<PaymentKey>; value: Serde<Payment> } {
  const common = registry === undefined ? {} : { registry };
  if (format === "avro") {
    return { key: serdes.avro<PaymentKey>({ ...common, schema: avroKey, isKey: true }), value: serdes.avro<Payment>({ ...common, schema: avroPayment[version] }) };
  }
  if (format === "jsonSchema") {
    return { key: serdes.jsonSchema<PaymentKey>({ ...common, schema: jsonKey, isKey: true }), value: serdes.jsonSchema<Payment>({ ...common, schema: jsonPayment }) };
  }
  return { key: serdes.protobuf<PaymentKey>({ ...common, schema: protoKey, isKey: true }), value: serdes.protobuf<Payment>({ ...common, schema: protoPayment }) };
}

/** Serializes with a serde, warming it up first (registers its schema under the topic's subject). */
export async function encode<T>(serde: Serde<T>, value: T, topic: string): Promise<Buffer> {
  await serde.prepareSerialize?.(topic);
  return serde.serialize(value, topic);
}

/** Deserializes with a serde, fetching the writer schema first. */
export async function decode<T>(serde: Serde<T>, data: Buffer, topic: string): Promise<T> {
  await serde.prepareDeserialize?.(data, topic);
  return serde.deserialize(data, topic);
}
