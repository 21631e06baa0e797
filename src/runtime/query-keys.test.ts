import { test } from "node:test";
import assert from "node:assert/strict";
import { serdes, type Serde } from "../serdes/serde.ts";
import { prefixBytes, QueryKeyError, serializeKey, toJson } from "./query-keys.ts";

const key = (serde: Serde<unknown>, text: string) => serializeKey(serde, text, "t");
const asUnknown = <T>(serde: Serde<T>) => serde as Serde<unknown>;

test("a string key is the URL's text as it is", () => {
  assert.deepEqual(key(asUnknown(serdes.string()), "k-1/é"), Buffer.from("k-1/é", "utf8"));
  assert.deepEqual(key(asUnknown(serdes.string()), "42"), Buffer.from("42"));
});

test("number keys are decimal text, serialized as Kafka's binary longs and doubles", () => {
  assert.deepEqual(key(asUnknown(serdes.int64()), "-3"), serdes.int64().serialize(-3, "t"));
  assert.deepEqual(key(asUnknown(serdes.float64()), "2.5e3"), serdes.float64().serialize(2500, "t"));
  assert.throws(() => key(asUnknown(serdes.int64()), "1.5"), QueryKeyError);
  assert.throws(() => key(asUnknown(serdes.int64()), "9007199254740993"), QueryKeyError);
  assert.throws(() => key(asUnknown(serdes.float64()), "abc"), QueryKeyError);
});

test("a JSON key is JSON text, and text that is not JSON is a string", () => {
  const json = asUnknown(serdes.json());
  assert.deepEqual(key(json, '{"id":1}'), Buffer.from('{"id":1}'));
  assert.deepEqual(key(json, "42"), Buffer.from("42"));
  assert.deepEqual(key(json, '"42"'), Buffer.from('"42"'));
  assert.deepEqual(key(json, "abc"), Buffer.from('"abc"'));
});

test("a bytes key is base64, standard or URL-safe", () => {
  assert.deepEqual(key(asUnknown(serdes.bytes()), "AP8="), Buffer.from([0, 255]));
  assert.deepEqual(key(asUnknown(serdes.bytes()), "AP8"), Buffer.from([0, 255]));
  assert.deepEqual(key(asUnknown(serdes.bytes()), "_-8"), Buffer.from([0xff, 0xef]));
  assert.throws(() => key(asUnknown(serdes.bytes()), "not base64!"), QueryKeyError);
});

test("a serde that refuses the key becomes a query error naming it", () => {
  const picky: Serde<unknown> = { name: "avro", serialize: () => { throw new Error("no schema field id"); }, deserialize: () => null };
  assert.throws(() => key(picky, '{"x":1}'), /the avro serde cannot serialize the key .*no schema field id/);
});

test("a prefix is the leading bytes of the serialized keys; binary numbers have none", () => {
  assert.deepEqual(prefixBytes(asUnknown(serdes.string()), "k-1"), Buffer.from("k-1"));
  assert.deepEqual(prefixBytes(asUnknown(serdes.json()), '"user-'), Buffer.from('"user-'));
  assert.deepEqual(prefixBytes(asUnknown(serdes.bytes()), "AP8="), Buffer.from([0, 255]));
  assert.throws(() => prefixBytes(asUnknown(serdes.int64()), "1"), QueryKeyError);
});

test("bytes and bigints are shown as base64 and decimal text in JSON", () => {
  assert.equal(toJson(Buffer.from([0, 255])), "AP8=");
  assert.equal(toJson(12n), "12");
  assert.deepEqual(toJson({ count: 1 }), { count: 1 });
});
