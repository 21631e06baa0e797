import { test } from "node:test";
import assert from "node:assert/strict";
import { serdes, SerdeError } from "./serde.ts";

test("string serde round-trips UTF-8 text", () => {
  const s = serdes.string();
  assert.equal(s.deserialize(s.serialize("grüße ✓", "t"), "t"), "grüße ✓");
});

test("json serde round-trips a nested value", () => {
  const s = serdes.json<{ a: number[]; b: { c: string } }>();
  const v = { a: [1, 2], b: { c: "x" } };
  assert.deepEqual(s.deserialize(s.serialize(v, "t"), "t"), v);
});

test("json serde names the topic when the bytes are not JSON", () => {
  assert.throws(() => serdes.json().deserialize(Buffer.from("{nope"), "orders"), (err: unknown) => {
    assert.ok(err instanceof SerdeError);
    assert.match(err.message, /topic orders/);
    return true;
  });
});

test("int64 serde writes Kafka's big-endian long", () => {
  const bytes = serdes.int64().serialize(258, "t");
  assert.deepEqual([...bytes], [0, 0, 0, 0, 0, 0, 1, 2]);
  assert.equal(serdes.int64().deserialize(bytes, "t"), 258);
});

test("float64 serde refuses a buffer of the wrong length", () => {
  assert.throws(() => serdes.float64().deserialize(Buffer.alloc(4), "t"), /expected 8 bytes, got 4/);
});
