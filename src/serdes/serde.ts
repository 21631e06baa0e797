// The one interface every serde implements, and the built-in serdes that need no schema registry.
// A serde sees only non-null data: a null key or value in Kafka is null in the stream, whatever the serde.
import { readInt64, writeInt64 } from "./int64.ts";

export interface Serde<T> {
  /** Shown in `describe()` and in error messages. */
  readonly name: string;
  serialize(value: T, topic: string): Buffer;
  deserialize(data: Buffer, topic: string): T;
  /**
   * Warm-up before `deserialize(data, topic)`, for serdes that fetch something (a schema) once: resolves
   * when `deserialize` will need no I/O, undefined when it needs none already. The runtime awaits it for
   * a batch before processing the batch, so `deserialize` stays synchronous. Rejects only with
   * `SerdeUnavailableError` (retried with backoff); any other problem is left for `deserialize` to throw.
   */
  prepareDeserialize?(data: Buffer, topic: string): Promise<void> | undefined;
  /** Warm-up before `serialize(…, topic)`: e.g. registers or looks up the writer schema. Same contract. */
  prepareSerialize?(topic: string): Promise<void> | undefined;
}

const stringSerde: Serde<string> = {
  name: "string",
  serialize: (value) => Buffer.from(value, "utf8"),
  deserialize: (data) => data.toString("utf8"),
};

const bytesSerde: Serde<Buffer> = {
  name: "bytes",
  serialize: (value) => value,
  deserialize: (data) => data,
};

/** A float64, big-endian: the bytes of Kafka's DoubleSerializer. */
const float64Serde: Serde<number> = {
  name: "float64",
  serialize: (value) => {
    const out = Buffer.allocUnsafe(8);
    out.writeDoubleBE(value, 0);
    return out;
  },
  deserialize: (data, topic) => {
    if (data.length !== 8) throw new SerdeError("float64", topic, `expected 8 bytes, got ${data.length}`);
    return data.readDoubleBE(0);
  },
};

/** A 64-bit signed integer, big-endian: the bytes of Kafka's LongSerializer. */
const int64Serde: Serde<number> = {
  name: "int64",
  serialize: (value) => {
    const out = Buffer.allocUnsafe(8);
    writeInt64(out, value, 0);
    return out;
  },
  deserialize: (data, topic) => {
    if (data.length !== 8) throw new SerdeError("int64", topic, `expected 8 bytes, got ${data.length}`);
    return readInt64(data, 0);
  },
};

function json<T>(): Serde<T> {
  return {
    name: "json",
    serialize: (value) => Buffer.from(JSON.stringify(value), "utf8"),
    deserialize: (data, topic) => {
      try {
        return JSON.parse(data.toString("utf8")) as T;
      } catch (err) {
        throw new SerdeError("json", topic, (err as Error).message);
      }
    },
  };
}

/** Raised when bytes cannot be turned into a value (or a value into bytes); the error handlers decide what follows. */
export class SerdeError extends Error {
  readonly code = "WEIR_SERDE_ERROR";
  constructor(serde: string, topic: string, detail: string, action: "read" | "write" = "read") {
    super(`${serde} serde could not ${action} a record of topic ${topic}: ${detail}`);
    this.name = "SerdeError";
  }
}

/**
 * A warm-up could not reach what it needs (the schema registry is down): the runtime retries it with
 * backoff and the task waits, neither skipping the record nor failing.
 */
export class SerdeUnavailableError extends Error {
  readonly code = "WEIR_SERDE_UNAVAILABLE";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "SerdeUnavailableError";
  }
}
import { sessionWindowed, timeWindowed, windowed } from "./windowed.ts";

export const serdes = {
  string: (): Serde<string> => stringSerde,
  bytes: (): Serde<Buffer> => bytesSerde,
  json,
  /** JSON numbers as text are `json<number>()`; these are Kafka's binary number formats. */
  float64: (): Serde<number> => float64Serde,
  int64: (): Serde<number> => int64Serde,
  /** Windowed keys: key bytes + 8-byte start + 8-byte end (what windowed aggregations produce). */
  windowed,
  /** Kafka Streams' time-windowed key layout (key bytes + 8-byte start), for topics shared with Java apps. */
  timeWindowed,
  /** Kafka Streams' session-windowed key layout (key bytes + 8-byte end + 8-byte start). */
  sessionWindowed,
};
