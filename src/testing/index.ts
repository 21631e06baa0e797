// The test driver: unit-test a topology without a broker.
export { TopologyTestDriver, type TopologyTestDriverOptions } from "./topology-test-driver.ts";
export { TestInputTopic, TestOutputTopic, type KeyValue, type TestRecord } from "./test-topics.ts";
