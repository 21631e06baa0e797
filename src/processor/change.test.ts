import { test } from "node:test";
import assert from "node:assert/strict";
import { serdes } from "../serdes/serde.ts";
import { changeSerde, pairSerde } from "./change.ts";

test("a change round-trips with both values, only the new one, only the old one", () => {
  const serde = changeSerde(serdes.string());
  for (const change of [{ newValue: "new", oldValue: "old" }, { newValue: "", oldValue: null }, { newValue: null, oldValue: "old" }]) {
    assert.deepEqual(serde.deserialize(serde.serialize(change, "t"), "t"), change);
  }
});

test("a change whose new value's length overruns the record is refused naming the topic", () => {
  const bytes = Buffer.from([1, 0, 0, 0, 9, 65]);
  assert.throws(() => changeSerde(serdes.string()).deserialize(bytes, "topic-x"), /topic-x.*overruns/);
});

test("a pair round-trips its two values", () => {
  const serde = pairSerde(serdes.string(), serdes.int64());
  assert.deepEqual(serde.deserialize(serde.serialize(["DE", 42], "t"), "t"), ["DE", 42]);
});
