// The buffer of a stream–table join with a grace period (KIP-923): the stream records it holds back, in a
// key-value store of bytes with a changelog (so they survive a restart or a move of the task), and the
// join's stream time. See docs/architecture.md, "Versioned tables".
import type { Serde } from "../serdes/serde.ts";
import type { KeyValueStore } from "../state/types.ts";
import type { Headers, StreamRecord } from "./record.ts";
import { readInt64, writeInt64 } from "../serdes/int64.ts";

export interface StreamTableJoinGrace<K, V> {
  readonly graceMs: number;
  /** A key-value store of bytes: `[8-byte timestamp][8-byte sequence]` → the buffered record; CLOCK_KEY → stream time. */
  readonly store: string;
  readonly keySerde: Serde<K>;
  readonly valueSerde: Serde<V>;
}

/** Where the buffer keeps its stream time: sorts after every `[timestamp][sequence]` key (timestamps are ≥ 0). */
const CLOCK_KEY = Buffer.from([0xff]);
const ENTRY_KEY_BYTES = 16;
const ABSENT = 0xffffffff;

function entryKey(timestamp: number, sequence: number): Buffer {
  const out = Buffer.allocUnsafe(ENTRY_KEY_BYTES);
  writeInt64(out, timestamp, 0);
  writeInt64(out, sequence, 8);
  return out;
}

/**
 * The stream records a grace-period join holds back, and the join's stream time: the largest stream record
 * timestamp it saw.
 * A record is `[4-byte key length, 0xffffffff for a null key][key][4-byte header count]([4-byte name
 * length][name][4-byte value length, 0xffffffff for undefined][value])*[value bytes]`.
 */
export class GraceBuffer<K, V> {
  private readonly store: KeyValueStore<Buffer, Buffer>;
  private readonly grace: StreamTableJoinGrace<K, V>;
  /** What the serdes are told they write to: the buffer itself (its changelog is raw bytes). */
  private readonly topic: string;

  constructor(store: KeyValueStore<Buffer, Buffer>, grace: StreamTableJoinGrace<K, V>) {
    this.store = store;
    this.grace = grace;
    this.topic = grace.store;
  }

  add(record: StreamRecord<K, V>): void {
    const clock = this.store.get(CLOCK_KEY);
    const time = clock === undefined ? -1 : readInt64(clock, 0);
    if (record.timestamp > time) {
      const next = Buffer.allocUnsafe(8);
      writeInt64(next, record.timestamp, 0);
      this.store.put(CLOCK_KEY, next);
    }
    // One more than the last sequence at this timestamp: records of one timestamp leave in arrival order.
    let sequence = 0;
    for (const [k] of this.store.range(entryKey(record.timestamp, 0), entryKey(record.timestamp, Number.MAX_SAFE_INTEGER))) sequence = readInt64(k, 8) + 1;
    this.store.put(entryKey(record.timestamp, sequence), this.encode(record));
  }

  /** Removes and returns the records whose timestamp + grace ≤ stream time, by timestamp then arrival. */
  takeDue(): StreamRecord<K, V>[] {
    const clock = this.store.get(CLOCK_KEY);
    if (clock === undefined) return [];
    const until = readInt64(clock, 0) - this.grace.graceMs;
    if (until < 0) return [];
    const due: [Buffer, Buffer][] = [...this.store.range(undefined, entryKey(until, Number.MAX_SAFE_INTEGER))].map(([k, v]) => [k, v]);
    return due.map(([k, v]) => {
      this.store.delete(k);
      return this.decode(readInt64(k, 0), v);
    });
  }

  private encode(record: StreamRecord<K, V>): Buffer {
    const parts: Buffer[] = [];
    const u32 = (n: number) => {
      const b = Buffer.allocUnsafe(4);
      b.writeUInt32BE(n, 0);
      parts.push(b);
    };
    if (record.key === null || record.key === undefined) {
      u32(ABSENT);
    } else {
      const key = this.grace.keySerde.serialize(record.key, this.topic);
      u32(key.length);
      parts.push(key);
    }
    const headers = Object.entries(record.headers);
    u32(headers.length);
    for (const [name, value] of headers) {
      const n = Buffer.from(name, "utf8");
      u32(n.length);
      parts.push(n);
      if (value === undefined) {
        u32(ABSENT);
      } else {
        u32(value.length);
        parts.push(value);
      }
    }
    parts.push(this.grace.valueSerde.serialize(record.value, this.topic));
    return Buffer.concat(parts);
  }

  private decode(timestamp: number, data: Buffer): StreamRecord<K, V> {
    let at = 0;
    const u32 = () => {
      const n = data.readUInt32BE(at);
      at += 4;
      return n;
    };
    const keyLength = u32();
    let key: K = null as K;
    if (keyLength !== ABSENT) {
      key = this.grace.keySerde.deserialize(data.subarray(at, at + keyLength), this.topic);
      at += keyLength;
    }
    const headers: Headers = {};
    for (let count = u32(); count > 0; count--) {
      const nameLength = u32();
      const name = data.toString("utf8", at, at + nameLength);
      at += nameLength;
      const valueLength = u32();
      if (valueLength === ABSENT) {
        headers[name] = undefined;
      } else {
        headers[name] = Buffer.from(data.subarray(at, at + valueLength));
        at += valueLength;
      }
    }
    const value = this.grace.valueSerde.deserialize(data.subarray(at), this.topic);
    return { key, value, timestamp, headers };
  }
}
