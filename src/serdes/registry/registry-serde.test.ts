// The registry serdes' wire format and caching, against a small in-process registry speaking the Confluent
// REST API (the integration tests use the real one).
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import { SerdeError, SerdeUnavailableError } from "../serde.ts";
import { SchemaRegistryClient } from "./client.ts";
import { registrySerdes } from "./index.ts";
import { decodeMessageIndexes, encodeMessageIndexes } from "./wire-format.ts";

interface Stored {
  id: number;
  schema: string;
  schemaType: string;
}

/** Subjects and schemas in memory; `requests` counts every HTTP call, to show the hot path makes none. */
async function fakeRegistry(t: TestContext) {
  const byId: Stored[] = [];
  const subjects = new Map<string, Stored[]>();
  const state = { requests: 0 };
  const server: Server = createServer((req, res) => {
    state.requests++;
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      const send = (status: number, data: unknown) => {
        res.writeHead(status, { "content-type": "application/json" });
        res.end(JSON.stringify(data));
      };
      const url = decodeURIComponent(req.url ?? "");
      let m: RegExpMatchArray | null;
      if (req.method === "GET" && (m = url.match(/^\/schemas\/ids\/(\d+)$/))) {
        const s = byId[Number(m[1]) - 1];
        return s ? send(200, { schema: s.schema, schemaType: s.schemaType }) : send(404, { error_code: 40403, message: `No schema with id ${m[1]}` });
      }
      if (req.method === "POST" && (m = url.match(/^\/subjects\/([^/]+)(\/versions)?$/))) {
        const { schema, schemaType = "AVRO" } = JSON.parse(body) as { schema: string; schemaType?: string };
        const versions = subjects.get(m[1]!) ?? [];
        const found = versions.find((v) => v.schema === schema);
        if (found) return send(200, { id: found.id });
        if (!m[2]) return send(404, { error_code: 40403, message: "Schema not found" });
        const stored = { id: byId.length + 1, schema, schemaType };
        byId.push(stored);
        subjects.set(m[1]!, [...versions, stored]);
        return send(200, { id: stored.id });
      }
      if (req.method === "GET" && (m = url.match(/^\/subjects\/([^/]+)\/versions\/(\w+)$/))) {
        const versions = subjects.get(m[1]!) ?? [];
        const v = m[2] === "latest" ? versions[versions.length - 1] : versions[Number(m[2]) - 1];
        return v ? send(200, { id: v.id, schema: v.schema, subject: m[1] }) : send(404, { error_code: 40401, message: "Subject not found" });
      }
      send(404, { message: `no route ${req.method} ${url}` });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const client = new SchemaRegistryClient({ url: `http://127.0.0.1:${port}` });
  return { client, state, url: `http://127.0.0.1:${port}` };
}

const paymentV1 = { type: "record", name: "Payment", namespace: "weir.test", fields: [{ name: "id", type: "string" }, { name: "amount", type: "double" }] };
const paymentV2 = { ...paymentV1, fields: [...paymentV1.fields, { name: "currency", type: "string", default: "EUR" }] };

interface Payment {
  id: string;
  amount: number;
}

test("message indexes: [0] is the single byte 0, others a zigzag count and zigzag indexes", () => {
  assert.deepEqual([...encodeMessageIndexes([0])], [0]);
  assert.deepEqual([...encodeMessageIndexes([1])], [2, 2]);
  assert.deepEqual([...encodeMessageIndexes([2, 0])], [4, 4, 0]);
  assert.deepEqual(decodeMessageIndexes(Buffer.from([9, 4, 4, 0, 42]), 1), { indexes: [2, 0], next: 4 });
  assert.deepEqual(decodeMessageIndexes(Buffer.from([0, 42]), 0), { indexes: [0], next: 1 });
});

test("avro writes magic byte 0, the registered id and the Avro body; after warm-up neither side calls the registry", async (t) => {
  const { client, state } = await fakeRegistry(t);
  const serde = registrySerdes.avro<Payment>({ registry: client, schema: paymentV1 });
  await serde.prepareSerialize!("payments");
  assert.equal(serde.prepareSerialize!("payments"), undefined, "warm: nothing left to do");
  const bytes = serde.serialize({ id: "p-1", amount: 12.5 }, "payments");
  assert.equal(bytes[0], 0);
  assert.equal(bytes.readInt32BE(1), 1);
  const calls = state.requests;
  assert.equal(serde.prepareDeserialize!(bytes, "payments"), undefined);
  for (let i = 0; i < 100; i++) assert.deepEqual({ ...serde.deserialize(bytes, "payments") }, { id: "p-1", amount: 12.5 });
  assert.equal(state.requests, calls);
});

test("a reader's schema with an added defaulted field reads records of the older writer schema", async (t) => {
  const { client } = await fakeRegistry(t);
  const writer = registrySerdes.avro<Payment>({ registry: client, schema: paymentV1 });
  await writer.prepareSerialize!("payments");
  const old = writer.serialize({ id: "p-1", amount: 3 }, "payments");
  const reader = registrySerdes.avro<Payment & { currency: string }>({ registry: new SchemaRegistryClient({ url: client.url }), schema: paymentV2 });
  await reader.prepareDeserialize!(old, "payments");
  assert.deepEqual({ ...reader.deserialize(old, "payments") }, { id: "p-1", amount: 3, currency: "EUR" });
});

test("a value that does not fit the schema fails serialization naming the field", async (t) => {
  const { client } = await fakeRegistry(t);
  const serde = registrySerdes.avro<Payment>({ registry: client, schema: paymentV1 });
  await serde.prepareSerialize!("payments");
  assert.throws(() => serde.serialize({ id: "p", amount: "lots" } as unknown as Payment, "payments"), (err: unknown) => err instanceof SerdeError && /amount/.test(err.message));
});

test("bytes that are not in the wire format, or name an id the registry lacks, fail deserialization with a SerdeError", async (t) => {
  const { client } = await fakeRegistry(t);
  const serde = registrySerdes.avro<Payment>({ registry: client });
  assert.equal(serde.prepareDeserialize!(Buffer.from("hello"), "t"), undefined);
  assert.throws(() => serde.deserialize(Buffer.from("hello"), "t"), /not the Confluent wire format \(magic byte 104/);
  const unknown = Buffer.from([0, 0, 0, 0, 77, 1, 2]);
  await serde.prepareDeserialize!(unknown, "t");
  assert.throws(() => serde.deserialize(unknown, "t"), /No schema with id 77/);
});

test("subject strategies: topic, record and topic-record, for keys and values", async (t) => {
  const { client } = await fakeRegistry(t);
  const subject = (options: Parameters<typeof registrySerdes.avro>[0]) =>
    (registrySerdes.avro({ registry: client, schema: paymentV1, ...options }) as unknown as { subject(topic: string): string }).subject("pay");
  assert.equal(subject({}), "pay-value");
  assert.equal(subject({ isKey: true }), "pay-key");
  assert.equal(subject({ subjectNameStrategy: "record" }), "weir.test.Payment");
  assert.equal(subject({ subjectNameStrategy: "topic-record" }), "pay-weir.test.Payment");
});

test("autoRegister false looks the schema up and fails when it is not registered; a version writes with that one", async (t) => {
  const { client } = await fakeRegistry(t);
  const lookupOnly = registrySerdes.avro<Payment>({ registry: client, schema: paymentV1, autoRegister: false });
  await assert.rejects(lookupOnly.prepareSerialize!("pay")!, /Schema not found/);
  await registrySerdes.avro<Payment>({ registry: client, schema: paymentV1 }).prepareSerialize!("pay");
  await registrySerdes.avro<Payment>({ registry: client, schema: paymentV2 }).prepareSerialize!("pay");
  const v1 = registrySerdes.avro<Payment>({ registry: client, version: 1 });
  await v1.prepareSerialize!("pay");
  assert.equal(v1.serialize({ id: "a", amount: 1 }, "pay").readInt32BE(1), 1);
  const latest = registrySerdes.avro<Payment>({ registry: client, version: "latest" });
  await latest.prepareSerialize!("pay");
  assert.equal(latest.serialize({ id: "a", amount: 1, currency: "USD" } as Payment, "pay").readInt32BE(1), 2);
});

test("json schema validates on both sides", async (t) => {
  const { client } = await fakeRegistry(t);
  const schema = { title: "Order", type: "object", properties: { qty: { type: "integer", minimum: 1 } }, required: ["qty"] };
  const serde = registrySerdes.jsonSchema<{ qty: number }>({ registry: client, schema });
  await serde.prepareSerialize!("orders");
  const bytes = serde.serialize({ qty: 2 }, "orders");
  assert.equal(bytes.toString("utf8", 5), '{"qty":2}');
  assert.deepEqual(serde.deserialize(bytes, "orders"), { qty: 2 });
  assert.throws(() => serde.serialize({ qty: 0 }, "orders"), /\/qty must be >= 1/);
  const forged = Buffer.concat([bytes.subarray(0, 5), Buffer.from('{"qty":"x"}')]);
  assert.throws(() => serde.deserialize(forged, "orders"), /\/qty must be integer/);
});

test("protobuf writes the message indexes of the chosen message and reads any message of the file", async (t) => {
  const { client } = await fakeRegistry(t);
  const schema = 'syntax = "proto3"; package shop; message Order { string id = 1; int64 qty = 2; } message Refund { string order = 1; double amount = 2; }';
  const orders = registrySerdes.protobuf<{ id: string; qty: number }>({ registry: client, schema });
  const refunds = registrySerdes.protobuf<{ order: string; amount: number }>({ registry: client, schema, messageName: "Refund", subjectNameStrategy: "record" });
  await orders.prepareSerialize!("orders");
  await refunds.prepareSerialize!("refunds");
  const order = orders.serialize({ id: "o-1", qty: 3 }, "orders");
  const refund = refunds.serialize({ order: "o-1", amount: 2.5 }, "refunds");
  assert.equal(order[5], 0, "first message: index byte 0");
  assert.deepEqual([...refund.subarray(5, 7)], [2, 2], "second message: [1]");
  assert.deepEqual(orders.deserialize(order, "orders"), { id: "o-1", qty: 3 });
  assert.deepEqual(orders.deserialize(refund, "refunds"), { order: "o-1", amount: 2.5 });
  assert.throws(() => orders.serialize({ id: 5 } as unknown as { id: string; qty: number }, "orders"), /id: string expected/);
});

test("an unreachable registry makes a warm-up reject with SerdeUnavailableError, not a final answer", async () => {
  const client = new SchemaRegistryClient({ url: "http://127.0.0.1:1" });
  const serde = registrySerdes.avro<Payment>({ registry: client, schema: paymentV1 });
  await assert.rejects(serde.prepareDeserialize!(Buffer.from([0, 0, 0, 0, 5, 0]), "t")!, SerdeUnavailableError);
  await assert.rejects(serde.prepareSerialize!("t")!, SerdeUnavailableError);
});
