// What a foreign-key join sends through its two internal topics (KIP-213): subscriptions, keyed by the
// foreign key, from the left table's tasks to the right table's; responses, keyed by the left row's key, back.
import { createHash } from "node:crypto";
import { SerdeError, type Serde } from "../serdes/serde.ts";

/**
 * `subscribe`: the left row `primaryKey` now points at this foreign key; store the subscription and answer
 * with the right row (always, or only when there is one: `onlyIfFound`). `unsubscribe`: it no longer does.
 */
export interface Subscription<K> {
  readonly kind: "subscribe" | "unsubscribe";
  readonly primaryKey: K;
  /** Hash of the left row's value when it was sent: a response to an older value is stale and dropped. */
  readonly hash: Buffer | null;
  readonly onlyIfFound: boolean;
}

/** The right row for a left row's foreign key, with the hash of the left value it answers. */
export interface SubscriptionResponse<V> {
  readonly hash: Buffer | null;
  readonly value: V | null;
}

const HASH_BYTES = 16;
const SUBSCRIBE = 1;
const ONLY_IF_FOUND = 2;
const HAS_HASH = 4;

/** A left value's hash (MD5 of its serialized bytes; Kafka Streams takes murmur3): equal values, equal hashes. */
export function valueHash(bytes: Buffer): Buffer {
  return createHash("md5").update(bytes).digest();
}

/** [flags][16-byte hash, when present][primary key bytes]. */
export function subscriptionSerde<K>(primaryKey: Serde<K>): Serde<Subscription<K>> {
  const name = `subscription(${primaryKey.name})`;
  return {
    name,
    serialize: (s, topic) => {
      const flags = (s.kind === "subscribe" ? SUBSCRIBE : 0) | (s.onlyIfFound ? ONLY_IF_FOUND : 0) | (s.hash ? HAS_HASH : 0);
      return Buffer.concat([Buffer.from([flags]), s.hash ?? Buffer.alloc(0), primaryKey.serialize(s.primaryKey, topic)]);
    },
    deserialize: (data, topic) => {
      if (data.length < 1) throw new SerdeError(name, topic, "empty record");
      const flags = data.readUInt8(0);
      const keyStart = flags & HAS_HASH ? 1 + HASH_BYTES : 1;
      if (data.length < keyStart) throw new SerdeError(name, topic, `expected at least ${keyStart} bytes, got ${data.length}`);
      return {
        kind: flags & SUBSCRIBE ? "subscribe" : "unsubscribe",
        onlyIfFound: (flags & ONLY_IF_FOUND) !== 0,
        hash: flags & HAS_HASH ? Buffer.from(data.subarray(1, keyStart)) : null,
        primaryKey: primaryKey.deserialize(data.subarray(keyStart), topic),
      };
    },
  };
}

/** [flags: bit 0 a hash, bit 1 a value][16-byte hash, when present][value bytes, when present]. */
export function responseSerde<V>(value: Serde<V>): Serde<SubscriptionResponse<V>> {
  const name = `subscription-response(${value.name})`;
  return {
    name,
    serialize: (r, topic) => {
      const flags = (r.hash ? 1 : 0) | (r.value !== null ? 2 : 0);
      return Buffer.concat([Buffer.from([flags]), r.hash ?? Buffer.alloc(0), r.value !== null ? value.serialize(r.value, topic) : Buffer.alloc(0)]);
    },
    deserialize: (data, topic) => {
      if (data.length < 1) throw new SerdeError(name, topic, "empty record");
      const flags = data.readUInt8(0);
      const valueStart = flags & 1 ? 1 + HASH_BYTES : 1;
      if (data.length < valueStart) throw new SerdeError(name, topic, `expected at least ${valueStart} bytes, got ${data.length}`);
      return {
        hash: flags & 1 ? Buffer.from(data.subarray(1, valueStart)) : null,
        value: flags & 2 ? value.deserialize(data.subarray(valueStart), topic) : null,
      };
    },
    ...(value.prepareSerialize ? { prepareSerialize: (topic: string) => value.prepareSerialize!(topic) } : {}),
  };
}

/** The subscription store's key: [4-byte length of the foreign key][its bytes][the primary key's bytes], so a prefix scan finds a foreign key's subscribers. */
export function subscriptionKey(foreignKey: Buffer, primaryKey: Buffer): Buffer {
  return Buffer.concat([subscriptionPrefix(foreignKey), primaryKey]);
}

export function subscriptionPrefix(foreignKey: Buffer): Buffer {
  const head = Buffer.allocUnsafe(4);
  head.writeUInt32BE(foreignKey.length, 0);
  return Buffer.concat([head, foreignKey]);
}
