// What the driver tests that compare Weir's outputs with Kafka Streams' share: a driver closed after its test
// body, and an output topic read as [key, value, timestamp] rows.
import { serdes } from "../serdes/serde.ts";
import type { StreamsBuilder } from "../topology/streams-builder.ts";
import { TopologyTestDriver } from "./topology-test-driver.ts";

export const strings = { key: serdes.string(), value: serdes.string() };
export const ints = { key: serdes.string(), value: serdes.int64() };

/** Runs `body` on a driver of `b`'s topology, then closes the driver. */
export function withDriver(b: StreamsBuilder, body: (driver: TopologyTestDriver) => void): void {
  const driver = new TopologyTestDriver(b.build());
  try {
    body(driver);
  } finally {
    driver.close();
  }
}

/** Everything written to `topic` so far, string keys, as [key, value, timestamp]. */
export function records<V>(driver: TopologyTestDriver, topic: string, value: { deserialize(d: Buffer, t: string): V; serialize(v: V, t: string): Buffer; name: string }) {
  return driver.createOutputTopic(topic, serdes.string(), value).readRecordsToList().map((r) => [r.key, r.value, r.timestamp]);
}
