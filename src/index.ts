// Weir's public API. Everything a topology or an application needs is exported here.
export {
  StreamsBuilder,
  KStream,
  KGroupedStream,
  KTable,
  BranchedKStream,
  Topology,
  TopologyError,
  type Branched,
  type Consumed,
  type ConsumedRecordView,
  type Grouped,
  type InvalidTimestampHandling,
  type Materialized,
  type Named,
  type Produced,
  type RecordContext,
  type Repartitioned,
  type TimestampExtractor,
  type TopicChooser,
} from "./topology/index.ts";
export { serdes, SerdeError, type Serde } from "./serdes/index.ts";
export type { Processor, ProcessorContext, ProcessorSupplier } from "./processor/processor.ts";
export type { StreamRecord, RecordMetadata, Headers } from "./processor/record.ts";
export { app, App, type AppDefinition } from "./runtime/app.ts";
export type { WeirConfig, WeirConfigInput } from "./runtime/config.ts";
export { WeirError, type WeirErrorCode } from "./runtime/errors.ts";
export { TopologyTestDriver, TestInputTopic, TestOutputTopic, type TopologyTestDriverOptions, type KeyValue, type TestRecord } from "./testing/index.ts";
export type { KeyValueStore } from "./state/types.ts";
