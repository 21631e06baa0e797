// The line formats of `weir produce` (records in) and `weir tail` (records out), and the conversion between a
// line's JSON and what a serde takes: one record a line, so that shell pipelines and files work alike.
import type { Serde } from "../serdes/index.ts";
import { WeirError } from "../runtime/errors.ts";
import type { TopicSerdes } from "./topic-serdes.ts";

/** A record read from a line of `weir produce`'s input, before its serdes. */
export interface InputRecord {
  readonly key: unknown;
  readonly value: unknown;
  readonly timestamp?: number;
  readonly partition?: number;
  readonly headers?: Readonly<Record<string, string>>;
}

const fields = new Set(["key", "value", "timestamp", "partition", "headers"]);

function lineError(lineNumber: number, message: string): WeirError {
  return new WeirError("WEIR_CONFIG_INVALID", `input line ${lineNumber}: ${message}`);
}

/**
 * One line of input: a JSON object `{"key":…,"value":…,"timestamp":…}` (also `partition`, `headers`), or
 * `key<TAB>value` text. A line of text has no JSON types: its key and value are text, which `toSerdeInput`
 * reads as JSON for serdes that are not text. An empty key before the TAB is a null key. Blank lines: undefined.
 */
export function parseInputLine(line: string, lineNumber: number): InputRecord | undefined {
  if (line.trim().length === 0) return undefined;
  const tab = line.indexOf("\t");
  if (tab >= 0 && !line.trimStart().startsWith("{")) {
    const key = line.slice(0, tab);
    return { key: key.length === 0 ? null : new LineText(key), value: new LineText(line.slice(tab + 1)) };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch (err) {
    throw lineError(lineNumber, `neither a JSON object nor key<TAB>value (${(err as Error).message})`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw lineError(lineNumber, 'expected a JSON object {"key":…,"value":…}');
  const record = parsed as Record<string, unknown>;
  const unknown = Object.keys(record).filter((k) => !fields.has(k));
  if (unknown.length > 0) throw lineError(lineNumber, `unknown field ${unknown.join(", ")} (known: ${[...fields].join(", ")})`);
  if (!("value" in record)) throw lineError(lineNumber, 'no "value" (null writes a tombstone)');
  const { timestamp, partition, headers } = record;
  if (timestamp !== undefined && !(Number.isInteger(timestamp) && (timestamp as number) >= 0)) throw lineError(lineNumber, `timestamp must be epoch milliseconds, got ${JSON.stringify(timestamp)}`);
  if (partition !== undefined && !(Number.isInteger(partition) && (partition as number) >= 0)) throw lineError(lineNumber, `partition must be a whole number ≥ 0, got ${JSON.stringify(partition)}`);
  if (headers !== undefined && (typeof headers !== "object" || headers === null || Object.values(headers).some((h) => typeof h !== "string"))) {
    throw lineError(lineNumber, "headers must be an object of strings");
  }
  return {
    key: record.key ?? null,
    value: record.value,
    ...(timestamp !== undefined ? { timestamp: timestamp as number } : {}),
    ...(partition !== undefined ? { partition: partition as number } : {}),
    ...(headers !== undefined ? { headers: headers as Record<string, string> } : {}),
  };
}

/** Text from a `key<TAB>value` line, which a serde of text takes as is and any other serde reads as JSON. */
export class LineText {
  readonly text: string;
  constructor(text: string) {
    this.text = text;
  }
}

const textSerdes = new Set(["string", "bytes", "text-or-json"]);

/** What `serde.serialize` takes for a key or value given on a line; null stays null (a null key, a tombstone). */
export function toSerdeInput(serde: Serde<unknown>, given: unknown, lineNumber: number, field: "key" | "value"): unknown {
  if (given === null || given === undefined) return null;
  let value: unknown = given;
  if (given instanceof LineText) {
    if (textSerdes.has(serde.name)) value = given.text;
    else {
      try {
        value = JSON.parse(given.text) as unknown;
      } catch {
        // A bare word for a JSON or schema serde: the string it spells.
        value = given.text;
      }
    }
  }
  switch (serde.name) {
    case "string":
      return typeof value === "string" ? value : JSON.stringify(value);
    case "bytes":
      return Buffer.from(typeof value === "string" ? value : JSON.stringify(value), "utf8");
    case "int64":
    case "float64": {
      const n = typeof value === "string" && value.trim() !== "" ? Number(value) : value;
      if (typeof n !== "number" || !Number.isFinite(n) || (serde.name === "int64" && !Number.isSafeInteger(n))) {
        throw lineError(lineNumber, `the ${field} serde ${serde.name} needs a ${serde.name === "int64" ? "whole number" : "number"}, got ${JSON.stringify(value)}`);
      }
      return n;
    }
    default:
      if (serde.name.includes("indowed(")) return windowedInput(value, lineNumber, field, serde.name);
      return value;
  }
}

function windowedInput(value: unknown, lineNumber: number, field: string, name: string): unknown {
  const w = value as { key?: unknown; window?: { start?: unknown; end?: unknown } } | null;
  if (typeof w !== "object" || w === null || !("key" in w) || !Number.isInteger(w.window?.start) || !Number.isInteger(w.window?.end)) {
    throw lineError(lineNumber, `the ${field} serde ${name} needs {"key":…,"window":{"start":ms,"end":ms}}, got ${JSON.stringify(value)}`);
  }
  return w;
}

/** The serialized key and value of an input record. */
export function serializeRecord(record: InputRecord, serdesOfTopic: TopicSerdes, topic: string, lineNumber: number): { key: Buffer | null; value: Buffer | null } {
  const serialize = (serde: Serde<unknown>, given: unknown, field: "key" | "value"): Buffer | null => {
    const input = toSerdeInput(serde, given, lineNumber, field);
    if (input === null) return null;
    try {
      return serde.serialize(input, topic);
    } catch (err) {
      throw lineError(lineNumber, `the ${field} serde ${serde.name} could not write ${JSON.stringify(input)}: ${(err as Error).message}`);
    }
  };
  return { key: serialize(serdesOfTopic.key, record.key, "key"), value: serialize(serdesOfTopic.value, record.value, "value") };
}

/** A read record as `weir tail` prints it. */
export interface OutputRecord {
  readonly partition: number;
  readonly offset: string;
  readonly timestamp: number;
  readonly key: unknown;
  readonly value: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

/** One JSON line: bytes as `{"base64":…}`, bigints as decimal text, Dates as ISO text. */
export function formatOutputLine(record: OutputRecord): string {
  return JSON.stringify(record, function (this: unknown, key, value: unknown) {
    // Buffer#toJSON runs before the replacer sees it: look at the holder's own property instead.
    const raw = (this as Record<string, unknown>)[key];
    if (Buffer.isBuffer(raw) || raw instanceof Uint8Array) return { base64: Buffer.from(raw).toString("base64") };
    if (typeof value === "bigint") return value.toString();
    return value;
  });
}
