// Serdes: how keys and values become bytes and back.
import { serdes as builtIn } from "./serde.ts";
import { registrySerdes } from "./registry/index.ts";

export { SerdeError, SerdeUnavailableError, type Serde } from "./serde.ts";
export type { WindowedSerde } from "./windowed.ts";
export {
  SchemaRegistryClient,
  SchemaRegistryError,
  type ProtobufSerdeOptions,
  type RegistrySerdeOptions,
  type SchemaRegistryOptions,
  type SubjectNameStrategy,
} from "./registry/index.ts";

/** Every serde Weir ships: built-in (string, json, bytes, numbers, windowed keys) and schema-registry ones (avro, jsonSchema, protobuf). */
export const serdes = { ...builtIn, ...registrySerdes };
