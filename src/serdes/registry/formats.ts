// Avro, JSON Schema and Protobuf on top of the schemas @kafkajs/confluent-schema-registry parses: a record's
// name (for the record subject strategies), and the synchronous encode and decode of the hot path, which
// frame and unframe the Confluent wire format themselves (the library's encode/decode are async, and its
// Protobuf framing omits the message indexes other clients write and expect).
import { SchemaType } from "@kafkajs/confluent-schema-registry";
import { schemaFromConfluentSchema } from "@kafkajs/confluent-schema-registry/dist/schemaTypeResolver.js";
import type { Resolver, Type as AvroType } from "avsc";
import type { Namespace, ReflectionObject, Type as ProtoType } from "protobufjs";
import type { SchemaFormat } from "./client.ts";
import { decodeMessageIndexes, encodeMessageIndexes, frame, HEADER_BYTES } from "./wire-format.ts";

/** How the serde reads records of one writer schema id; built once per id, then used for every record. */
export interface RecordDecoder {
  decode(data: Buffer): unknown;
}

/** How the serde writes records with its writer schema. */
export interface RecordEncoder {
  encode(value: unknown): Buffer;
}

export interface Format {
  readonly format: SchemaFormat;
  readonly schemaType: SchemaType;
  /** The fully qualified record name of a schema's text, for the record and topic-record strategies. */
  recordName(schema: string, messageName?: string): string;
  /** `parsed` is the library's parse of the writer schema; `reader` the user's schema text, if any. */
  decoder(parsed: unknown, reader: string | undefined): RecordDecoder;
  encoder(schemaId: number, parsed: unknown, messageName: string | undefined): RecordEncoder;
}

/** A value that does not fit the schema, or bytes that do not decode: the message says where. */
export class SchemaMismatchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SchemaMismatchError";
  }
}

export const avro: Format = {
  format: "AVRO",
  schemaType: SchemaType.AVRO,
  recordName(schema) {
    const raw = JSON.parse(schema) as { name?: string; namespace?: string };
    if (!raw.name) throw new Error("an Avro schema used with a record subject strategy needs a name");
    return raw.name.includes(".") || !raw.namespace ? raw.name : `${raw.namespace}.${raw.name}`;
  },
  decoder(parsed, reader) {
    const writer = parsed as AvroType;
    if (reader === undefined) return { decode: (data) => writer.fromBuffer(data.subarray(HEADER_BYTES)) as unknown };
    const readerType = schemaFromConfluentSchema({ type: SchemaType.AVRO, schema: reader }) as unknown as AvroType;
    let resolver: Resolver | undefined;
    try {
      resolver = readerType.equals(writer) ? undefined : readerType.createResolver(writer);
    } catch (err) {
      throw new SchemaMismatchError(`the reader schema cannot read the writer's: ${(err as Error).message}`);
    }
    return { decode: (data) => readerType.fromBuffer(data.subarray(HEADER_BYTES), resolver) as unknown };
  },
  encoder(schemaId, parsed) {
    const type = parsed as AvroType;
    return {
      encode(value) {
        let payload: Buffer;
        try {
          payload = type.toBuffer(value);
        } catch {
          const paths: string[] = [];
          type.isValid(value, { errorHook: (path) => paths.push(path.join(".") || "(root)") });
          throw new SchemaMismatchError(`value does not match Avro schema ${type.name ?? ""} at ${paths.join(", ") || "(root)"}`);
        }
        return frame(schemaId, payload);
      },
    };
  },
};

/** The library's JSON Schema: an ajv validator. */
interface JsonValidator {
  validate: ((value: unknown) => boolean) & { errors?: readonly { instancePath?: string; message?: string }[] | null };
}

function checkJson(validator: JsonValidator, value: unknown): void {
  if (validator.validate(value)) return;
  const problems = (validator.validate.errors ?? []).map((e) => `${e.instancePath || "(root)"} ${e.message ?? ""}`.trim());
  throw new SchemaMismatchError(`value does not match the JSON schema: ${problems.join("; ")}`);
}

export const jsonSchema: Format = {
  format: "JSON",
  schemaType: SchemaType.JSON,
  recordName(schema) {
    const title = (JSON.parse(schema) as { title?: unknown }).title;
    if (typeof title !== "string" || title.length === 0) throw new Error("a JSON schema used with a record subject strategy needs a title");
    return title;
  },
  decoder(parsed) {
    const validator = parsed as JsonValidator;
    return {
      decode(data) {
        const value: unknown = JSON.parse(data.toString("utf8", HEADER_BYTES));
        checkJson(validator, value);
        return value;
      },
    };
  },
  encoder(schemaId, parsed) {
    const validator = parsed as JsonValidator;
    return {
      encode(value) {
        checkJson(validator, value);
        return frame(schemaId, Buffer.from(JSON.stringify(value), "utf8"));
      },
    };
  },
};

/** The library's Protobuf schema: the message type it picked, whose root holds the whole file. */
interface ParsedProto {
  message: ProtoType;
}

const toObjectOptions = { longs: Number, defaults: true } as const;

function isType(object: ReflectionObject): object is ProtoType {
  return (object as ProtoType).fieldsArray !== undefined;
}

/** The message types declared at the top of the file (in its package), in declaration order. */
function fileMessages(message: ProtoType): ProtoType[] {
  let scope: Namespace | null = message.parent;
  while (scope && isType(scope)) scope = scope.parent;
  return scope ? scope.nestedArray.filter(isType) : [];
}

function messageAt(top: readonly ProtoType[], indexes: readonly number[]): ProtoType {
  let type = top[indexes[0]!];
  for (let i = 1; type && i < indexes.length; i++) type = type.nestedArray.filter(isType)[indexes[i]!];
  if (!type) throw new SchemaMismatchError(`no Protobuf message at indexes [${indexes.join(", ")}] of the writer schema`);
  return type;
}

function indexesOf(type: ProtoType): number[] {
  const path: number[] = [];
  let current: ProtoType = type;
  for (;;) {
    const parent = current.parent;
    if (parent && isType(parent)) {
      path.unshift(parent.nestedArray.filter(isType).indexOf(current));
      current = parent;
    } else {
      path.unshift(fileMessages(current).indexOf(current));
      return path;
    }
  }
}

export const protobuf: Format = {
  format: "PROTOBUF",
  schemaType: SchemaType.PROTOBUF,
  recordName(schema, messageName) {
    const parsed = schemaFromConfluentSchema({ type: SchemaType.PROTOBUF, schema }, messageName ? { [SchemaType.PROTOBUF]: { messageName } } : undefined) as unknown as ParsedProto;
    return parsed.message.fullName.replace(/^\./, "");
  },
  decoder(parsed) {
    const top = fileMessages((parsed as ParsedProto).message);
    const byIndexes = new Map<string, ProtoType>();
    return {
      decode(data) {
        const { indexes, next } = decodeMessageIndexes(data, HEADER_BYTES);
        const key = indexes.join(".");
        let type = byIndexes.get(key);
        if (!type) byIndexes.set(key, (type = messageAt(top, indexes)));
        return type.toObject(type.decode(data.subarray(next)), toObjectOptions);
      },
    };
  },
  encoder(schemaId, parsed, messageName) {
    const picked = (parsed as ParsedProto).message;
    const type = messageName
      ? (fileMessages(picked).find((t) => t.name === messageName || t.fullName === `.${messageName}`) ?? picked.root.lookupType(messageName))
      : picked;
    const prefix = encodeMessageIndexes(indexesOf(type));
    return {
      encode(value) {
        const problem = type.verify(value as Record<string, unknown>);
        if (problem) throw new SchemaMismatchError(`value does not match Protobuf message ${type.fullName.replace(/^\./, "")}: ${problem}`);
        return frame(schemaId, type.encode(type.fromObject(value as Record<string, unknown>)).finish(), prefix);
      },
    };
  },
};
