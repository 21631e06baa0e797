// Weir's public API. Everything a topology or an application needs is exported here.
export { StreamsBuilder, KStream, Topology, TopologyError, type Consumed, type ErrorHandler, type Produced, type Named } from "./topology/index.ts";
export {
  serdes,
  SerdeError,
  SerdeUnavailableError,
  SchemaRegistryClient,
  SchemaRegistryError,
  type Serde,
  type ProtobufSerdeOptions,
  type RegistrySerdeOptions,
  type SchemaRegistryOptions,
  type SubjectNameStrategy,
} from "./serdes/index.ts";
export type { Processor, ProcessorContext, ProcessorSupplier } from "./processor/processor.ts";
export type { StreamRecord, RecordMetadata, Headers } from "./processor/record.ts";
export { app, App, type AppDefinition } from "./runtime/app.ts";
export type { WeirConfig, WeirConfigInput } from "./runtime/config.ts";
export { WeirError, type WeirErrorCode } from "./runtime/errors.ts";
