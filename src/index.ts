// Weir's public API. Everything a topology or an application needs is exported here.
export {
  StreamsBuilder,
  KStream,
  KGroupedStream,
  KTable,
  KGroupedTable,
  CogroupedKStream,
  TimeWindowedCogroupedKStream,
  SessionWindowedCogroupedKStream,
  GlobalKTable,
  JoinWindows,
  BranchedKStream,
  Topology,
  TopologyError,
  TimeWindows,
  SlidingWindows,
  SessionWindows,
  Suppressed,
  BufferConfig,
  type StrictBufferConfig,
  type EagerBufferConfig,
  type BufferFullPolicy,
  EmitStrategy,
  type Branched,
  type Consumed,
  type TableConsumed,
  type ToTableOptions,
  type JoinMaterialized,
  type StreamJoined,
  type StreamTableJoined,
  type ConsumedRecordView,
  type ErrorHandler,
  type Grouped,
  type TableGrouped,
  type InvalidTimestampHandling,
  type Materialized,
  type CachedMaterialized,
  type Named,
  type Produced,
  type RecordContext,
  type Repartitioned,
  type TimestampExtractor,
  type TopicChooser,
  type ProcessOptions,
  type AsyncOptions,
  type Duration,
  type WindowedOptions,
  type WindowedMaterialized,
} from "./topology/index.ts";
export type { Window, Windowed } from "./processor/windowed.ts";
export {
  serdes,
  SerdeError,
  SerdeUnavailableError,
  SchemaRegistryClient,
  SchemaRegistryError,
  type Serde,
  type WindowedSerde,
  type ProtobufSerdeOptions,
  type RegistrySerdeOptions,
  type SchemaRegistryOptions,
  type SubjectNameStrategy,
} from "./serdes/index.ts";
export type { Processor, ProcessorContext, ProcessorSupplier, KeyValueStoreRef } from "./processor/processor.ts";
export type { Timer, TimerOptions, TimerService, TimerType } from "./processor/timers.ts";
export type { Cancellable, PunctuationType, Punctuator } from "./processor/punctuators.ts";
export type { KeyValueStore, KeyValueIterator } from "./state/types.ts";
export { NOT_PUT, VALID_TO_UNDEFINED, type VersionedKeyValueStore, type VersionedRecord } from "./state/versioned-store.ts";
export type { StreamRecord, RecordMetadata, Headers } from "./processor/record.ts";
export { cep, pattern, Pattern, PatternError, Nfa, type CepOptions, type CepStreams, type Match, type TimedOutMatch, type Condition, type ConditionContext, type AfterMatchSkip } from "./cep/index.ts";
export { app, type AppDefinition } from "./runtime/app-definition.ts";
export { App } from "./runtime/app.ts";
export type { WeirConfig, WeirConfigInput } from "./runtime/config.ts";
export { WeirError, type WeirErrorCode } from "./runtime/errors.ts";
export { RecordError, deadLetterHeaders, type ErrorKind } from "./runtime/error-handlers.ts";
export { TopologyTestDriver, TestInputTopic, TestOutputTopic, type TopologyTestDriverOptions, type KeyValue, type TestRecord } from "./testing/index.ts";
