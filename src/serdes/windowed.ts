// Serdes of windowed keys, so that windowed results can be written to topics and read back.
import type { Windowed } from "../processor/windowed.ts";
import { SerdeError, type Serde } from "./serde.ts";
import { readInt64, writeInt64 } from "./int64.ts";

const TIME_BYTES = 8;

/** A windowed key's serde, with the serde of the plain key inside it. */
export interface WindowedSerde<K> extends Serde<Windowed<K>> {
  readonly inner: Serde<K>;
}

function build<K>(name: string, inner: Serde<K>, suffix: number, write: (out: Buffer, at: number, w: Windowed<K>) => void, read: (data: Buffer, at: number) => { start: number; end: number }): WindowedSerde<K> {
  // The inner serde's warm-ups (a schema-registry key serde's) pass through, on the key's own bytes.
  const prepareSerialize = inner.prepareSerialize?.bind(inner);
  const prepareDeserialize = inner.prepareDeserialize?.bind(inner);
  return {
    name: `${name}(${inner.name})`,
    inner,
    ...(prepareSerialize ? { prepareSerialize } : {}),
    ...(prepareDeserialize ? { prepareDeserialize: (data: Buffer, topic: string) => (data.length < suffix ? undefined : prepareDeserialize(data.subarray(0, data.length - suffix), topic)) } : {}),
    serialize(value, topic) {
      const key = inner.serialize(value.key, topic);
      const out = Buffer.allocUnsafe(key.length + suffix);
      key.copy(out);
      write(out, key.length, value);
      return out;
    },
    deserialize(data, topic) {
      if (data.length < suffix) throw new SerdeError(name, topic, `expected at least ${suffix} bytes, got ${data.length}`);
      const at = data.length - suffix;
      return { key: inner.deserialize(data.subarray(0, at), topic), window: read(data, at) };
    },
  };
}

const long = (data: Buffer, at: number) => readInt64(data, at);

/** The key's bytes, then the window's start and end as 8-byte big-endian integers: any window, read back whole. */
export function windowed<K>(inner: Serde<K>): WindowedSerde<K> {
  return build(
    "windowed",
    inner,
    2 * TIME_BYTES,
    (out, at, w) => {
      writeInt64(out, w.window.start, at);
      writeInt64(out, w.window.end, at + TIME_BYTES);
    },
    (data, at) => ({ start: long(data, at), end: long(data, at + TIME_BYTES) }),
  );
}

/** Kafka Streams' TimeWindowedSerde: the key's bytes and the 8-byte start; the end is start + `windowSizeMs`. */
export function timeWindowed<K>(inner: Serde<K>, windowSizeMs: number): WindowedSerde<K> {
  return build(
    "timeWindowed",
    inner,
    TIME_BYTES,
    (out, at, w) => void writeInt64(out, w.window.start, at),
    (data, at) => {
      const start = long(data, at);
      return { start, end: start + windowSizeMs };
    },
  );
}

/** Kafka Streams' SessionWindowedSerde: the key's bytes, the 8-byte end, then the 8-byte start. */
export function sessionWindowed<K>(inner: Serde<K>): WindowedSerde<K> {
  return build(
    "sessionWindowed",
    inner,
    2 * TIME_BYTES,
    (out, at, w) => {
      writeInt64(out, w.window.end, at);
      writeInt64(out, w.window.start, at + TIME_BYTES);
    },
    (data, at) => ({ start: long(data, at + TIME_BYTES), end: long(data, at) }),
  );
}
