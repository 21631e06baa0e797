import { test } from "node:test";
import assert from "node:assert/strict";
import { serdes, SerdeError, type Serde } from "./serde.ts";

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

test("a windowed serde passes its key serde's warm-ups through, on the key's own bytes", async () => {
  const seen: string[] = [];
  const key: Serde<string> = {
    ...serdes.string(),
    prepareSerialize: (topic) => (seen.push(`write ${topic}`), Promise.resolve()),
    prepareDeserialize: (data, topic) => (seen.push(`read ${data.toString()} ${topic}`), Promise.resolve()),
  };
  const windowed = serdes.windowed(key);
  const bytes = windowed.serialize({ key: "k1", window: { start: 0, end: 60_000 } }, "t");
  await windowed.prepareSerialize?.("out");
  await windowed.prepareDeserialize?.(bytes, "in");
  assert.deepEqual(seen, ["write out", "read k1 in"]);
  assert.ok(!("prepareSerialize" in serdes.windowed(serdes.string())), "none for a serde without warm-ups");
});
