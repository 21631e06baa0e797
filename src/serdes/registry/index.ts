// Serdes of the Confluent wire format backed by a schema registry: Avro, JSON Schema and Protobuf.
// The value type T is declared by the application; the serde checks values against the schema when
// writing and reads only what the writer schema (resolved to the reader schema, for Avro) describes.
import type { Serde } from "../serde.ts";
import { avro as avroFormat, jsonSchema as jsonSchemaFormat, protobuf as protobufFormat } from "./formats.ts";
import { RegistrySerde, type RegistrySerdeOptions } from "./registry-serde.ts";

export interface ProtobufSerdeOptions extends RegistrySerdeOptions {
  /** The message of the schema file to write (its name or full name); default the file's first message. */
  readonly messageName?: string;
}

export const registrySerdes = {
  avro: <T>(options: RegistrySerdeOptions = {}): Serde<T> => new RegistrySerde<T>(avroFormat, options),
  jsonSchema: <T>(options: RegistrySerdeOptions = {}): Serde<T> => new RegistrySerde<T>(jsonSchemaFormat, options),
  protobuf: <T>(options: ProtobufSerdeOptions = {}): Serde<T> => new RegistrySerde<T>(protobufFormat, options, options.messageName),
};

export { SchemaRegistryClient, SchemaRegistryError, type SchemaRegistryOptions, type SchemaFormat } from "./client.ts";
export { RegistrySerde, type RegistrySerdeOptions, type SubjectNameStrategy } from "./registry-serde.ts";
