// The project's schema registry is real and speaks the Confluent API that @kafkajs/confluent-schema-registry uses.
import { test } from "node:test";
import assert from "node:assert/strict";
import { SchemaRegistry, SchemaType } from "@kafkajs/confluent-schema-registry";
import { schemaRegistryUrl, uniqueName } from "./helpers/cluster.ts";

const paymentSchema = {
  type: "record",
  name: "Payment",
  namespace: "weir.test",
  fields: [
    { name: "id", type: "string" },
    { name: "amount", type: "double" },
    { name: "currency", type: { type: "enum", name: "Currency", symbols: ["EUR", "USD"] } },
  ],
};

test("an Avro record round-trips through the registry in the Confluent wire format", async () => {
  const registry = new SchemaRegistry({ host: schemaRegistryUrl() });
  const subject = uniqueName("payments-value");
  const { id } = await registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(paymentSchema) }, { subject });

  const payment = { id: "p-1", amount: 12.5, currency: "EUR" };
  const bytes = await registry.encode(id, payment);
  // Confluent wire format: magic byte 0, then the schema id as a big-endian int32, then Avro.
  assert.equal(bytes[0], 0);
  assert.equal(bytes.readInt32BE(1), id);
  // avsc decodes into an instance of a generated record class: compare the fields.
  assert.deepEqual({ ...(await registry.decode(bytes)) }, payment);

  // A second client knows nothing cached: decoding must fetch the schema by id from the registry.
  const fresh = new SchemaRegistry({ host: schemaRegistryUrl() });
  assert.deepEqual({ ...(await fresh.decode(bytes)) }, payment);
  assert.equal(await fresh.getLatestSchemaId(subject), id);
});
