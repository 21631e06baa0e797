// Stream–stream windowed joins (inner, left, outer), Kafka Streams' KStreamKStreamJoin (≥ 3.1): each side
// keeps its records in a window store (key, timestamp → the values seen then); a record joins the other
// side's records of the same key within the join window. Left/outer: a record that found no partner waits
// in a shared "outer" store and is emitted with null only once no partner can come any more (stream time
// past t + before + after + grace: the other side's latest possible partner, t + after on the left, is not
// late until stream time passes it by its own window's reach, `before`, and grace), so no spurious null result
// is emitted for a record joined later. Stream time is the join's own, shared by its two sides (Kafka
// Streams' sharedTimeTracker): the largest timestamp of the records the join took, read from its window stores.
import type { Serde } from "../serdes/serde.ts";
import type { KeyValueStore, WindowStore } from "../state/types.ts";
import type { Processor, ProcessorContext } from "./processor.ts";
import type { StreamRecord } from "./record.ts";
import { readInt64, writeInt64 } from "../serdes/int64.ts";

export type StreamJoinKind = "inner" | "left" | "outer";

export interface StreamStreamJoinOptions {
  readonly kind: StreamJoinKind;
  readonly side: "left" | "right";
  readonly thisStore: string;
  readonly otherStore: string;
  /** The records waiting for their window to close without a partner (left and outer joins). */
  readonly outerStore: string | undefined;
  /** How much earlier / later than this side's record the other side's record may be. */
  readonly beforeMs: number;
  readonly afterMs: number;
  readonly graceMs: number;
  readonly keySerde: Serde<unknown>;
  readonly leftValueSerde: Serde<unknown>;
  readonly rightValueSerde: Serde<unknown>;
  readonly joiner: (left: unknown, right: unknown) => unknown;
}

const TIME_BYTES = 8;
const LEFT = 0;
const RIGHT = 1;

/** Several values of one key and timestamp: each as a 4-byte length and its bytes. */
export const valueListSerde: Serde<Buffer[]> = {
  name: "value-list",
  serialize(values) {
    const out = Buffer.allocUnsafe(values.reduce((n, v) => n + 4 + v.length, 0));
    let at = 0;
    for (const v of values) {
      out.writeUInt32BE(v.length, at);
      v.copy(out, at + 4);
      at += 4 + v.length;
    }
    return out;
  },
  deserialize(data) {
    const values: Buffer[] = [];
    for (let at = 0; at < data.length; ) {
      const length = data.readUInt32BE(at);
      values.push(data.subarray(at + 4, at + 4 + length));
      at += 4 + length;
    }
    return values;
  },
};

/** The outer store's key: timestamp (8 bytes, big-endian, so a scan is in time order), side, key bytes. */
function outerKey(timestamp: number, side: number, key: Buffer): Buffer {
  const out = Buffer.allocUnsafe(TIME_BYTES + 1 + key.length);
  writeInt64(out, timestamp, 0);
  out.writeUInt8(side, TIME_BYTES);
  key.copy(out, TIME_BYTES + 1);
  return out;
}

export class StreamStreamJoinProcessor implements Processor<unknown, unknown, unknown, unknown> {
  private readonly options: StreamStreamJoinOptions;
  private readonly sideId: number;
  /** The other side's records join this side's record at t when in [t − lookBefore, t + lookAfter]. */
  private readonly lookBefore: number;
  private readonly lookAfter: number;
  /** Whether this side's unmatched records are emitted with null (left side of a left join, both of an outer). */
  private readonly emitsUnmatched: boolean;
  private context!: ProcessorContext<unknown, unknown>;
  private thisWindow!: WindowStore<unknown, Buffer[]>;
  private otherWindow!: WindowStore<unknown, Buffer[]>;
  private outer: KeyValueStore<Buffer, Buffer[]> | undefined;
  /** The topics serdes are told (the stores' changelogs), as Kafka Streams serializes store contents. */
  private thisTopic = "";
  private otherTopic = "";
  private keyTopic = "";

  constructor(options: StreamStreamJoinOptions) {
    this.options = options;
    const left = options.side === "left";
    this.sideId = left ? LEFT : RIGHT;
    this.lookBefore = left ? options.beforeMs : options.afterMs;
    this.lookAfter = left ? options.afterMs : options.beforeMs;
    this.emitsUnmatched = options.kind === "outer" || (options.kind === "left" && left);
  }

  init(context: ProcessorContext<unknown, unknown>): void {
    this.context = context;
    this.thisWindow = context.getStateStore<WindowStore<unknown, Buffer[]>>(this.options.thisStore);
    this.otherWindow = context.getStateStore<WindowStore<unknown, Buffer[]>>(this.options.otherStore);
    if (this.options.outerStore) this.outer = context.getStateStore<KeyValueStore<Buffer, Buffer[]>>(this.options.outerStore);
    this.thisTopic = `${context.applicationId}-${this.options.thisStore}-changelog`;
    this.otherTopic = `${context.applicationId}-${this.options.otherStore}-changelog`;
    this.keyTopic = `${context.applicationId}-${this.options.outerStore ?? this.options.thisStore}-changelog`;
  }

  process(record: StreamRecord<unknown, unknown>): void {
    if (record.value === null || record.value === undefined) {
      this.context.dropRecord("null value in a stream-stream join");
      return;
    }
    if (record.key === null || record.key === undefined) {
      // No partner can have a null key: the side whose unmatched records are emitted (the left of a left join,
      // both of an outer join) emits it with null at once, as Kafka Streams does since 3.7 (KIP-962).
      if (!this.emitsUnmatched) {
        this.context.dropRecord("null key in a stream-stream join");
        return;
      }
      const value = this.sideId === LEFT ? this.options.joiner(record.value, null) : this.options.joiner(null, record.value);
      this.context.forward({ key: record.key, value, timestamp: record.timestamp, headers: record.headers });
      return;
    }
    const t = record.timestamp;
    const streamTime = Math.max(this.thisWindow.observedStreamTimeMs(), this.otherWindow.observedStreamTimeMs(), t);
    // Later than its window's end plus grace: dropped, as a windowed aggregation drops it.
    if (t + this.lookAfter + this.options.graceMs < streamTime) {
      this.context.dropRecord("late record in a stream-stream join");
      return;
    }
    const { keySerde, joiner } = this.options;
    const thisSerde = this.sideId === LEFT ? this.options.leftValueSerde : this.options.rightValueSerde;
    const otherSerde = this.sideId === LEFT ? this.options.rightValueSerde : this.options.leftValueSerde;
    // Kafka Streams emits the closed windows' unmatched records first, then joins the new record.
    if (this.outer) this.emitClosed(streamTime);
    const valueBytes = thisSerde.serialize(record.value, this.thisTopic);
    this.thisWindow.put(record.key, t, [...(this.thisWindow.fetch(record.key, t)?.value ?? []), valueBytes], t);

    let matched = false;
    for (const entry of this.otherWindow.fetchRange(record.key, t - this.lookBefore, t + this.lookAfter)) {
      matched = true;
      // The other side's records at that time have a partner now: they never get a null result.
      if (this.outer) this.outer.delete(outerKey(entry.start, 1 - this.sideId, keySerde.serialize(record.key, this.keyTopic)));
      for (const bytes of entry.value) {
        const other = otherSerde.deserialize(bytes, this.otherTopic);
        const value = this.sideId === LEFT ? joiner(record.value, other) : joiner(other, record.value);
        this.context.forward({ key: record.key, value, timestamp: Math.max(t, entry.start), headers: record.headers });
      }
    }
    if (!matched && this.emitsUnmatched && this.outer) {
      const key = outerKey(t, this.sideId, keySerde.serialize(record.key, this.keyTopic));
      this.outer.put(key, [...(this.outer.get(key) ?? []), valueBytes]);
    }
  }

  /** Emits, in time order, the waiting records no partner can join any more (see the top of this file). */
  private emitClosed(streamTime: number): void {
    const { keySerde, joiner, leftValueSerde, rightValueSerde, beforeMs, afterMs, graceMs } = this.options;
    const due: Buffer[] = [];
    for (const [key, values] of this.outer!.all()) {
      const timestamp = readInt64(key, 0);
      const side = key.readUInt8(TIME_BYTES);
      // Time order, and the same reach for both sides: nothing later is due either.
      if (timestamp + beforeMs + afterMs + graceMs >= streamTime) break;
      due.push(key);
      const k = keySerde.deserialize(key.subarray(TIME_BYTES + 1), this.keyTopic);
      for (const bytes of values) {
        const topic = side === this.sideId ? this.thisTopic : this.otherTopic;
        const value = side === LEFT ? joiner(leftValueSerde.deserialize(bytes, topic), null) : joiner(null, rightValueSerde.deserialize(bytes, topic));
        this.context.forward({ key: k, value, timestamp, headers: {} });
      }
    }
    for (const key of due) this.outer!.delete(key);
  }
}
