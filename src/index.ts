// Weir's public API. Everything a topology or an application needs is exported here.
export {
  StreamsBuilder,
  KStream,
  KTable,
  Topology,
  TopologyError,
  TimeWindows,
  SlidingWindows,
  SessionWindows,
  Suppressed,
  type Consumed,
  type Produced,
  type Named,
  type Duration,
  type WindowedOptions,
  type WindowedMaterialized,
} from "./topology/index.ts";
export type { Window, Windowed } from "./processor/windowed.ts";
export { serdes, SerdeError, type Serde, type WindowedSerde } from "./serdes/index.ts";
export type { Processor, ProcessorContext, ProcessorSupplier } from "./processor/processor.ts";
export type { StreamRecord, RecordMetadata, Headers } from "./processor/record.ts";
export { app, App, type AppDefinition } from "./runtime/app.ts";
export type { WeirConfig, WeirConfigInput } from "./runtime/config.ts";
export { WeirError, type WeirErrorCode } from "./runtime/errors.ts";
