// Stream–table and stream–global-table joins: each stream record looks up the table's store at processing
// time (the table side never triggers output). Kafka Streams' KStreamKTableJoin and KStreamGlobalKTableJoin.
// On a versioned table the lookup is as of the stream record's timestamp (KIP-914); with a grace period the
// stream records wait in a buffer store and are joined in timestamp order once stream time passes their
// timestamp + grace (KIP-923), so that table updates arriving out of order up to the grace are seen.
import type { Serde } from "../serdes/serde.ts";
import type { KeyValueStore } from "../state/types.ts";
import type { Processor, ProcessorContext } from "./processor.ts";
import type { Headers, StreamRecord } from "./record.ts";
import type { TableValueGetter, TableValueGetterSupplier } from "./table-value-getter.ts";

export type ValueJoiner<V1, V2, VR> = (value: V1, other: V2) => VR;

export interface StreamTableJoinOptions<K, V, KT, VT, VR> {
  /** Reads the table's row: from its store (a task store, or a global store), or computed (a derived table). */
  readonly table: TableValueGetterSupplier<KT, VT>;
  /** Left join: an unmatched record is joined with null. Inner: it is dropped. */
  readonly left: boolean;
  /** The table key to look up; the record's key by default (stream–table), a derived key for a global table. */
  readonly keySelector?: (key: K, value: V) => KT;
  readonly joiner: ValueJoiner<V, VT | null, VR>;
  /** KIP-923: hold stream records back in `store` until stream time reaches their timestamp + `graceMs` (> 0). */
  readonly grace?: StreamTableJoinGrace<K, V>;
}

export interface StreamTableJoinGrace<K, V> {
  readonly graceMs: number;
  /** A key-value store of bytes: `[8-byte timestamp][8-byte sequence]` → the buffered record; CLOCK_KEY → stream time. */
  readonly store: string;
  readonly keySerde: Serde<K>;
  readonly valueSerde: Serde<V>;
}

export class StreamTableJoinProcessor<K, V, KT, VT, VR> implements Processor<K, V, K, VR> {
  private readonly options: StreamTableJoinOptions<K, V, KT, VT, VR>;
  private context!: ProcessorContext<K, VR>;
  private table!: TableValueGetter<KT, VT>;
  private buffer: GraceBuffer<K, V> | undefined;

  constructor(options: StreamTableJoinOptions<K, V, KT, VT, VR>) {
    this.options = options;
  }

  init(context: ProcessorContext<K, VR>): void {
    this.context = context;
    this.table = this.options.table.get(context);
    const grace = this.options.grace;
    if (grace) this.buffer = new GraceBuffer(context.getStateStore<KeyValueStore<Buffer, Buffer>>(grace.store), grace);
  }

  process(record: StreamRecord<K, V>): void {
    const { left, keySelector } = this.options;
    // Kafka Streams drops stream records with a null value; a null key (or a null derived key) cannot match,
    // so an inner join drops it and a left join joins it with null (KIP-962).
    if (record.value === null || record.value === undefined) {
      this.context.dropRecord("null value in a stream-table join");
      return;
    }
    const lookup = keySelector ? keySelector(record.key, record.value) : (record.key as unknown as KT);
    if ((lookup === null || lookup === undefined) && !left) {
      this.context.dropRecord("null key in a stream-table join");
      return;
    }
    if (this.buffer) {
      // Buffered even when already due, then everything due leaves in timestamp order (this record included).
      this.buffer.add(record);
      for (const due of this.buffer.takeDue()) this.join(due, keySelector ? keySelector(due.key, due.value) : (due.key as unknown as KT));
      return;
    }
    this.join(record, lookup);
  }

  private join(record: StreamRecord<K, V>, lookup: KT): void {
    const { left, joiner } = this.options;
    // The result keeps the stream record's timestamp (Kafka Streams' KStreamKTableJoin), whatever the row's;
    // a versioned table is read as of that timestamp.
    const row = lookup === null || lookup === undefined ? undefined : this.table.getAsOf ? this.table.getAsOf(lookup, record.timestamp) : this.table.get(lookup);
    const found = row?.value;
    if (found === undefined) {
      if (!left) return;
      this.context.forward({ key: record.key, value: joiner(record.value, null), timestamp: record.timestamp, headers: record.headers });
      return;
    }
    this.context.forward({ key: record.key, value: joiner(record.value, found), timestamp: record.timestamp, headers: record.headers });
  }
}

/** Where the buffer keeps its stream time: sorts after every `[timestamp][sequence]` key (timestamps are ≥ 0). */
const CLOCK_KEY = Buffer.from([0xff]);
const ENTRY_KEY_BYTES = 16;
const NO_KEY = 0xffffffff;

function entryKey(timestamp: number, sequence: number): Buffer {
  const out = Buffer.allocUnsafe(ENTRY_KEY_BYTES);
  out.writeBigInt64BE(BigInt(timestamp), 0);
  out.writeBigInt64BE(BigInt(sequence), 8);
  return out;
}

/**
 * The stream records a grace-period join holds back, in a key-value store with a changelog (so they survive
 * a restart or a move of the task), and the join's stream time: the largest stream record timestamp it saw.
 * A record is `[4-byte key length, 0xffffffff for a null key][key][4-byte header count]([4-byte name
 * length][name][4-byte value length, 0xffffffff for undefined][value])*[value bytes]`.
 */
class GraceBuffer<K, V> {
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
    const time = clock === undefined ? -1 : Number(clock.readBigInt64BE(0));
    if (record.timestamp > time) {
      const next = Buffer.allocUnsafe(8);
      next.writeBigInt64BE(BigInt(record.timestamp), 0);
      this.store.put(CLOCK_KEY, next);
    }
    // One more than the last sequence at this timestamp: records of one timestamp leave in arrival order.
    let sequence = 0;
    for (const [k] of this.store.range(entryKey(record.timestamp, 0), entryKey(record.timestamp, Number.MAX_SAFE_INTEGER))) sequence = Number(k.readBigInt64BE(8)) + 1;
    this.store.put(entryKey(record.timestamp, sequence), this.encode(record));
  }

  /** Removes and returns the records whose timestamp + grace ≤ stream time, by timestamp then arrival. */
  takeDue(): StreamRecord<K, V>[] {
    const clock = this.store.get(CLOCK_KEY);
    if (clock === undefined) return [];
    const until = Number(clock.readBigInt64BE(0)) - this.grace.graceMs;
    if (until < 0) return [];
    const due: [Buffer, Buffer][] = [...this.store.range(undefined, entryKey(until, Number.MAX_SAFE_INTEGER))].map(([k, v]) => [k, v]);
    return due.map(([k, v]) => {
      this.store.delete(k);
      return this.decode(Number(k.readBigInt64BE(0)), v);
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
      u32(NO_KEY);
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
        u32(NO_KEY);
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
    if (keyLength !== NO_KEY) {
      key = this.grace.keySerde.deserialize(data.subarray(at, at + keyLength), this.topic);
      at += keyLength;
    }
    const headers: Headers = {};
    for (let count = u32(); count > 0; count--) {
      const nameLength = u32();
      const name = data.toString("utf8", at, at + nameLength);
      at += nameLength;
      const valueLength = u32();
      if (valueLength === NO_KEY) {
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
