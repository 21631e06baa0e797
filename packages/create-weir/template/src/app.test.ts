// The topology on the TopologyTestDriver: no broker, the real operators and stores, in milliseconds.
import assert from "node:assert/strict";
import { afterEach, test } from "node:test";
import { serdes } from "weir-streams";
import { TopologyTestDriver } from "weir-streams/testing";
import { buildTopology, topics } from "./app.ts";

let driver: TopologyTestDriver;
afterEach(() => driver.close());

test("each word's count goes out as it changes and is kept in the word-counts store", () => {
  driver = new TopologyTestDriver(buildTopology(), { applicationId: "__NAME__" });
  const sentences = driver.createInputTopic(topics.sentences, serdes.string(), serdes.string());
  const wordCounts = driver.createOutputTopic(topics.wordCounts, serdes.string(), serdes.int64());

  sentences.pipeInput("s1", "Hello streams");
  sentences.pipeInput("s2", "hello again, hello");

  assert.deepEqual(wordCounts.readKeyValuesToList(), [
    { key: "hello", value: 1 },
    { key: "streams", value: 1 },
    { key: "hello", value: 2 },
    { key: "again", value: 1 },
    { key: "hello", value: 3 },
  ]);
  assert.equal(driver.getKeyValueStore<string, number>("word-counts").get("hello"), 3);
});
