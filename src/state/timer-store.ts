// Per-key timers of one processor, kept in a key-value store of the task's file so that they have a
// changelog and commit with the task. A stored key is 1 type byte, the time as 8 bytes big-endian, then the
// timer's key bytes: in key order the timers of a type are sorted by time, so the due ones are a range scan.
import { serdes } from "../serdes/serde.ts";
import type { KeyValueStore, KeyValueStoreOptions } from "./types.ts";

export type TimerType = "eventTime" | "processingTime";

/** What a timer holds besides its key and time. */
export interface TimerValue {
  readonly payload?: unknown;
}

export interface StoredTimer {
  readonly type: TimerType;
  readonly timeMs: number;
  /** The serialized key the timer belongs to. */
  readonly key: Buffer;
  readonly payload: unknown;
}

const typeByte: Readonly<Record<TimerType, number>> = { eventTime: 0, processingTime: 1 };
const headerBytes = 9;
const twoTo32 = 2 ** 32;

/** The serdes of a timer store: the keys are raw bytes (see above), the values JSON. */
export const timerStoreSerdes = { keySerde: serdes.bytes(), valueSerde: serdes.json<TimerValue>() };

export type TimerStoreOptions = Omit<KeyValueStoreOptions<Buffer, TimerValue>, "keySerde" | "valueSerde">;

export function timerStoreKey(type: TimerType, timeMs: number, key: Buffer): Buffer {
  const out = Buffer.allocUnsafe(headerBytes + key.length);
  out[0] = typeByte[type];
  out.writeUInt32BE(Math.floor(timeMs / twoTo32), 1);
  out.writeUInt32BE(timeMs >>> 0, 5);
  key.copy(out, headerBytes);
  return out;
}

function timeOf(stored: Buffer): number {
  return stored.readUInt32BE(1) * twoTo32 + stored.readUInt32BE(5);
}

export class TimerStore {
  private readonly store: KeyValueStore<Buffer, TimerValue>;

  constructor(store: KeyValueStore<Buffer, TimerValue>) {
    this.store = store;
  }

  /** One timer per (type, time, key): registering it again replaces its payload. */
  put(type: TimerType, timeMs: number, key: Buffer, payload: unknown): void {
    this.store.put(timerStoreKey(type, checkTime(timeMs), key), payload === undefined ? {} : { payload });
  }

  /** Returns whether there was such a timer. */
  delete(type: TimerType, timeMs: number, key: Buffer): boolean {
    return this.store.delete(timerStoreKey(type, checkTime(timeMs), key)) !== undefined;
  }

  /**
   * The first `limit` timers of `type` due at `upToMs` (time ≤ upToMs) in (time, key) order, and the time of
   * the first timer of that type after them (undefined: none). Reads stop at the first timer not due.
   */
  due(type: TimerType, upToMs: number, limit: number): { due: StoredTimer[]; nextMs: number | undefined } {
    const due: StoredTimer[] = [];
    const byte = typeByte[type];
    for (const [k, v] of this.store.range(Buffer.of(byte), undefined)) {
      if (k[0] !== byte) break;
      const timeMs = timeOf(k);
      if (timeMs > upToMs || due.length === limit) return { due, nextMs: timeMs };
      due.push({ type, timeMs, key: k.subarray(headerBytes), payload: v.payload });
    }
    return { due, nextMs: undefined };
  }

  /** The time of the earliest timer of `type`, if any. */
  earliest(type: TimerType): number | undefined {
    return this.due(type, -1, 0).nextMs;
  }
}

function checkTime(timeMs: number): number {
  if (!Number.isSafeInteger(timeMs) || timeMs < 0) throw new RangeError(`a timer's time must be an integer ≥ 0 (epoch ms), got ${timeMs}`);
  return timeMs;
}
