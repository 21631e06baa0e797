// A table update as it travels through a re-grouping's repartition topic: the value a row had before and
// the value it has now under one grouping key (Kafka Streams' Change), and the serde that writes both.
import { SerdeError, type Serde } from "../serdes/serde.ts";

/** `newValue` is added to the group, `oldValue` subtracted from it; either may be absent (null). */
export interface Change<V> {
  readonly newValue: V | null;
  readonly oldValue: V | null;
}

const HAS_NEW = 1;
const HAS_OLD = 2;

/**
 * Writes a flags byte (bit 0: a new value, bit 1: an old value), the new value's length (4 bytes, big-endian)
 * and bytes, then the old value's bytes. Weir's own layout: Kafka Streams' ChangedSerializer differs, and a
 * repartition topic is only ever read by the application that writes it.
 */
export function changeSerde<V>(inner: Serde<V>): Serde<Change<V>> {
  return {
    name: `change(${inner.name})`,
    serialize: (change, topic) => {
      const n = change.newValue === null ? undefined : inner.serialize(change.newValue, topic);
      const o = change.oldValue === null ? undefined : inner.serialize(change.oldValue, topic);
      const head = Buffer.allocUnsafe(5);
      head.writeUInt8((n ? HAS_NEW : 0) | (o ? HAS_OLD : 0), 0);
      head.writeUInt32BE(n ? n.length : 0, 1);
      return Buffer.concat([head, n ?? Buffer.alloc(0), o ?? Buffer.alloc(0)]);
    },
    deserialize: (data, topic) => {
      if (data.length < 5) throw new SerdeError(`change(${inner.name})`, topic, `expected at least 5 bytes, got ${data.length}`);
      const flags = data.readUInt8(0);
      const newLength = data.readUInt32BE(1);
      if (5 + newLength > data.length) throw new SerdeError(`change(${inner.name})`, topic, `new value of ${newLength} bytes overruns the ${data.length}-byte record`);
      return {
        newValue: flags & HAS_NEW ? inner.deserialize(data.subarray(5, 5 + newLength), topic) : null,
        oldValue: flags & HAS_OLD ? inner.deserialize(data.subarray(5 + newLength), topic) : null,
      };
    },
    ...(inner.prepareDeserialize ? { prepareDeserialize: (data: Buffer, topic: string) => prepareInner(inner, data, topic) } : {}),
    ...(inner.prepareSerialize ? { prepareSerialize: (topic: string) => inner.prepareSerialize!(topic) } : {}),
  };
}

/** A schema-registry value serde needs the schema ids of both values warmed up. */
function prepareInner<V>(inner: Serde<V>, data: Buffer, topic: string): Promise<void> | undefined {
  if (data.length < 5) return undefined;
  const flags = data.readUInt8(0);
  const newLength = data.readUInt32BE(1);
  return waitAll([
    flags & HAS_NEW ? inner.prepareDeserialize!(data.subarray(5, 5 + newLength), topic) : undefined,
    flags & HAS_OLD ? inner.prepareDeserialize!(data.subarray(5 + newLength), topic) : undefined,
  ]);
}

function waitAll(waits: readonly (Promise<void> | undefined)[]): Promise<void> | undefined {
  const pending = waits.filter((w): w is Promise<void> => w !== undefined);
  return pending.length === 0 ? undefined : Promise.all(pending).then(() => undefined);
}

/** Two serialized values in one: a 4-byte length of the first, its bytes, then the second's. */
export function pairSerde<A, B>(first: Serde<A>, second: Serde<B>): Serde<readonly [A, B]> {
  return {
    name: `pair(${first.name}, ${second.name})`,
    serialize: ([a, b], topic) => {
      const x = first.serialize(a, topic);
      const head = Buffer.allocUnsafe(4);
      head.writeUInt32BE(x.length, 0);
      return Buffer.concat([head, x, second.serialize(b, topic)]);
    },
    deserialize: (data, topic) => {
      const length = data.readUInt32BE(0);
      return [first.deserialize(data.subarray(4, 4 + length), topic), second.deserialize(data.subarray(4 + length), topic)] as const;
    },
    ...(first.prepareSerialize || second.prepareSerialize
      ? { prepareSerialize: (topic: string) => waitAll([first.prepareSerialize?.(topic), second.prepareSerialize?.(topic)]) }
      : {}),
  };
}
