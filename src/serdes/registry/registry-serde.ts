// A serde of the Confluent wire format with a schema registry. Everything that talks to the registry is in
// the warm-ups (prepareDeserialize: fetch a writer schema by id; prepareSerialize: register or look up the
// writer schema of a topic's subject); serialize and deserialize use what they cached and make no HTTP call.
import { SerdeError, type Serde } from "../serde.ts";
import { SchemaRegistryClient, SchemaRegistryError, type SchemaRegistryOptions } from "./client.ts";
import type { Format, RecordDecoder, RecordEncoder } from "./formats.ts";
import { schemaIdOf } from "./wire-format.ts";

/**
 * How the subject of a topic's schema is named, as in Confluent's serializers: `topic` is `<topic>-value`
 * (or `-key`), `record` the record's full name, `topic-record` `<topic>-<record full name>`.
 */
export type SubjectNameStrategy = "topic" | "record" | "topic-record";

export interface RegistrySerdeOptions {
  /** The registry: a client (share one between serdes), its options, or its URL. Default: `SCHEMA_REGISTRY_URL`. */
  readonly registry?: SchemaRegistryClient | SchemaRegistryOptions | string;
  /**
   * The schema the application writes with, as text or as an object (serialized to JSON). For Avro it is
   * also the reader schema: records written with an older or newer compatible schema are resolved to it.
   */
  readonly schema?: string | object;
  /** The serde of keys: the topic strategies then name the subject `<topic>-key`. Default false. */
  readonly isKey?: boolean;
  /** Default `topic`. */
  readonly subjectNameStrategy?: SubjectNameStrategy;
  /** Register `schema` under the subject when first writing (default true); false only looks it up. */
  readonly autoRegister?: boolean;
  /** Write with this registered version of the subject (a number, or `latest`) instead of `schema`. */
  readonly version?: number | "latest";
}

const sharedClients = new Map<string, SchemaRegistryClient>();

/** One client per URL for serdes that name the registry by URL, so that they share its cache. */
function clientFor(registry: RegistrySerdeOptions["registry"]): SchemaRegistryClient {
  if (registry instanceof SchemaRegistryClient) return registry;
  const options = typeof registry === "string" ? { url: registry } : registry;
  const url = options?.url ?? process.env.SCHEMA_REGISTRY_URL;
  if (!url) throw new SchemaRegistryError("no schema registry: pass { registry: url } to the serde or set SCHEMA_REGISTRY_URL", undefined);
  if (options?.auth || options?.requestTimeoutMs !== undefined) return new SchemaRegistryClient({ ...options, url });
  let client = sharedClients.get(url);
  if (!client) sharedClients.set(url, (client = new SchemaRegistryClient({ url })));
  return client;
}

export class RegistrySerde<T> implements Serde<T> {
  readonly name: string;
  private readonly format: Format;
  private readonly options: RegistrySerdeOptions;
  private readonly schemaText: string | undefined;
  private readonly messageName: string | undefined;
  private client: SchemaRegistryClient | undefined;
  /** Per writer schema id: how to read it, or why it cannot be read. */
  private readonly decoders = new Map<number, RecordDecoder | Error>();
  /** Per topic written: the writer schema's encoder. */
  private readonly encoders = new Map<string, RecordEncoder>();
  private readonly resolving = new Map<string, Promise<void>>();

  constructor(format: Format, options: RegistrySerdeOptions, messageName?: string) {
    this.format = format;
    this.options = options;
    this.messageName = messageName;
    this.schemaText = options.schema === undefined ? undefined : typeof options.schema === "string" ? options.schema : JSON.stringify(options.schema);
    this.name = format.format === "AVRO" ? "avro" : format.format === "JSON" ? "jsonSchema" : "protobuf";
    if (options.registry !== undefined) this.client = clientFor(options.registry);
  }

  /** The registry client, made at first use when it comes from SCHEMA_REGISTRY_URL. */
  registry(): SchemaRegistryClient {
    this.client ??= clientFor(this.options.registry);
    return this.client;
  }

  prepareDeserialize(data: Buffer): Promise<void> | undefined {
    const id = schemaIdOf(data);
    if (id === undefined || this.decoders.has(id)) return undefined;
    return this.registry().load(id);
  }

  deserialize(data: Buffer, topic: string): T {
    const id = schemaIdOf(data);
    if (id === undefined) {
      const detail = data.length < 5 ? `${data.length} bytes are too few` : `magic byte ${data[0]}, expected 0`;
      throw new SerdeError(this.name, topic, `not the Confluent wire format (${detail})`);
    }
    const decoder = this.decoders.get(id) ?? this.decoderFor(id, topic);
    if (decoder instanceof Error) throw new SerdeError(this.name, topic, decoder.message);
    try {
      return decoder.decode(data) as T;
    } catch (err) {
      throw new SerdeError(this.name, topic, `writer schema id ${id}: ${(err as Error).message}`);
    }
  }

  prepareSerialize(topic: string): Promise<void> | undefined {
    if (this.encoders.has(topic)) return undefined;
    let pending = this.resolving.get(topic);
    if (!pending) {
      pending = this.resolveWriter(topic).finally(() => this.resolving.delete(topic));
      this.resolving.set(topic, pending);
    }
    return pending;
  }

  serialize(value: T, topic: string): Buffer {
    const encoder = this.encoders.get(topic);
    if (!encoder) throw new SerdeError(this.name, topic, "its writer schema is not resolved yet (prepareSerialize was not awaited)", "write");
    try {
      return encoder.encode(value);
    } catch (err) {
      throw new SerdeError(this.name, topic, (err as Error).message, "write");
    }
  }

  /** The subject the writer schema of `topic` is registered under. */
  subject(topic: string): string {
    const strategy = this.options.subjectNameStrategy ?? "topic";
    if (strategy === "topic") return `${topic}-${this.options.isKey ? "key" : "value"}`;
    if (this.schemaText === undefined) throw new SchemaRegistryError(`the ${strategy} subject strategy needs the serde's schema, to name the record`, undefined);
    const record = this.format.recordName(this.schemaText, this.messageName);
    return strategy === "record" ? record : `${topic}-${record}`;
  }

  private decoderFor(id: number, topic: string): RecordDecoder | Error {
    const client = this.registry();
    const missing = client.missingMessage(id);
    let decoder: RecordDecoder | Error;
    if (missing !== undefined) {
      decoder = new Error(missing);
    } else {
      const cached = client.cached(id);
      if (!cached) throw new SerdeError(this.name, topic, `writer schema id ${id} was not fetched (prepareDeserialize was not awaited)`);
      if (cached.type !== this.format.schemaType) {
        decoder = new Error(`writer schema id ${id} is ${cached.type}, not ${this.format.format}`);
      } else {
        try {
          decoder = this.format.decoder(cached.schema, this.format.format === "AVRO" ? this.schemaText : undefined);
        } catch (err) {
          decoder = new Error(`writer schema id ${id}: ${(err as Error).message}`);
        }
      }
    }
    this.decoders.set(id, decoder);
    return decoder;
  }

  private async resolveWriter(topic: string): Promise<void> {
    const client = this.registry();
    const subject = this.subject(topic);
    const { version, autoRegister = true } = this.options;
    let id: number;
    if (version !== undefined) {
      id = await client.versionId(subject, version);
    } else if (this.schemaText === undefined) {
      throw new SchemaRegistryError(`${this.name} serde for topic ${topic} needs a schema (or a version) to write records`, undefined);
    } else {
      id = autoRegister ? await client.register(subject, this.format.format, this.schemaText) : await client.lookup(subject, this.format.format, this.schemaText);
    }
    await client.load(id);
    const cached = client.cached(id);
    if (!cached) throw new SchemaRegistryError(client.missingMessage(id) ?? `schema id ${id} of subject ${subject} could not be loaded`, undefined);
    this.encoders.set(topic, this.format.encoder(id, cached.schema, this.messageName));
  }
}
