import { test } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { murmur2, partitionForKey } from "./partitioner.ts";

// org.apache.kafka.common.utils.UtilsTest.testMurmur2 (the Java client's own vectors).
const javaVectors: [string, number][] = [
  ["21", -973932308],
  ["foobar", -790332482],
  ["a-little-bit-long-string", -985981536],
  ["a-little-bit-longer-string", -1486304829],
  ["lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971],
  ["abc", 479470107],
];

test("murmur2 gives the Java client's values for Kafka's own test vectors", () => {
  for (const [input, expected] of javaVectors) assert.equal(murmur2(Buffer.from(input)), expected, input);
});

test("murmur2 agrees with the hash kafkajs's default (Java-compatible) partitioner uses, on every tail length", () => {
  const kafkajsMurmur2 = createRequire(import.meta.url)("kafkajs/src/producer/partitioners/default/murmur2.js") as (key: Buffer) => number;
  for (let length = 0; length < 40; length++) {
    const key = Buffer.alloc(length);
    for (let i = 0; i < length; i++) key[i] = (i * 37 + length * 11 + 200) & 0xff;
    assert.equal(murmur2(key), kafkajsMurmur2(key), `length ${length}`);
  }
});

test("a key's partition is its hash made positive, modulo the partition count", () => {
  // -973932308 & 0x7fffffff = 1173551340
  assert.equal(partitionForKey(Buffer.from("21"), 3), 1173551340 % 3);
  assert.equal(partitionForKey(Buffer.from("abc"), 7), 479470107 % 7);
  for (const [input] of javaVectors) {
    const p = partitionForKey(Buffer.from(input), 5);
    assert.ok(p >= 0 && p < 5);
  }
  assert.throws(() => partitionForKey(Buffer.from("x"), 0), RangeError);
});
