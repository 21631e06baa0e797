// How a key written in a URL becomes the store's serialized key, and how stored keys and values are shown
// as JSON. The rules, by the name of the store's key serde:
// - `string`: the text as it is (after URL decoding).
// - `int64`: a decimal integer within ±2^53; `float64`: a decimal number (JSON number syntax).
// - `json`: JSON text (`42`, `"a"`, `{"id":1}`); text that is not JSON is taken as a string, so `/keys/abc`
//   finds the key "abc" (write `"42"` for the string "42").
// - `bytes`: base64 (standard or URL-safe).
// - any other serde (schema-registry ones): JSON text, else the string, given to the serde's serialize.
// A prefix is the leading bytes of serialized keys: its UTF-8 text for `string`, `json` and others
// (`"user-` matches JSON string keys starting with user-), base64 for `bytes`; number keys have none.
import type { Serde } from "../serdes/serde.ts";

export class QueryKeyError extends Error {}

export function serializeKey(serde: Serde<unknown>, text: string, topic: string): Buffer {
  let key: unknown;
  switch (serde.name) {
    case "string":
      key = text;
      break;
    case "int64":
      if (!/^-?\d+$/.test(text) || !Number.isSafeInteger(Number(text))) throw new QueryKeyError(`an int64 key must be a decimal integer within ±2^53, got ${JSON.stringify(text)}`);
      key = Number(text);
      break;
    case "float64":
      if (!/^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/.test(text)) throw new QueryKeyError(`a float64 key must be a decimal number, got ${JSON.stringify(text)}`);
      key = Number(text);
      break;
    case "bytes":
      if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(text)) throw new QueryKeyError(`a bytes key must be base64, got ${JSON.stringify(text)}`);
      key = Buffer.from(text, "base64");
      break;
    default:
      key = jsonOrString(text);
  }
  try {
    return serde.serialize(key, topic);
  } catch (err) {
    throw new QueryKeyError(`the ${serde.name} serde cannot serialize the key ${JSON.stringify(text)}: ${(err as Error).message}`);
  }
}

export function prefixBytes(serde: Serde<unknown>, text: string): Buffer {
  if (serde.name === "int64" || serde.name === "float64") throw new QueryKeyError(`keys of the ${serde.name} serde are binary numbers: they have no text prefix`);
  if (serde.name === "bytes") {
    if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(text)) throw new QueryKeyError(`a bytes prefix must be base64, got ${JSON.stringify(text)}`);
    return Buffer.from(text, "base64");
  }
  return Buffer.from(text, "utf8");
}

/** A deserialized key or value as JSON: bytes as base64, bigints as decimal text, the rest as it is. */
export function toJson(value: unknown): unknown {
  if (Buffer.isBuffer(value)) return value.toString("base64");
  if (typeof value === "bigint") return value.toString();
  return value;
}

function jsonOrString(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
