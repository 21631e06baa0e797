// A typed window store on its table in the task's state file: the key-value store's write cache and
// changelog carry the rows (changelog key = key bytes + 8-byte window start, value = 8-byte largest
// record timestamp + aggregate bytes); reads by time range go to SQLite after the cache is flushed.
import type { Serde } from "../serdes/serde.ts";
import { StateError } from "./errors.ts";
import type { SqliteKeyValueStore } from "./key-value-store.ts";
import type { StateTransaction } from "./transaction.ts";
import type { ValueAndTimestamp, WindowStore, WindowStoreEntry, WindowStoreOptions } from "./types.ts";
import { SqliteWindowedStore } from "./windowed-store.ts";
import { timestampOfValue, windowKey, type WindowedRow, type WindowedTable } from "./windowed-table.ts";
import { writeInt64 } from "../serdes/int64.ts";

const TIME_BYTES = 8;

/** The changelog value of a window: the largest record timestamp, then the aggregate (Kafka's ValueAndTimestamp layout). */
export function timestampedSerde<V>(inner: Serde<V>): Serde<ValueAndTimestamp<V>> {
  return {
    name: `timestamped(${inner.name})`,
    serialize(v, topic) {
      const value = inner.serialize(v.value, topic);
      const out = Buffer.allocUnsafe(TIME_BYTES + value.length);
      writeInt64(out, v.timestamp, 0);
      value.copy(out, TIME_BYTES);
      return out;
    },
    deserialize(data, topic) {
      return { timestamp: timestampOfValue(data), value: inner.deserialize(data.subarray(TIME_BYTES), topic) };
    },
  };
}

export class SqliteWindowStore<K, V> extends SqliteWindowedStore<K, ValueAndTimestamp<V>, WindowStoreEntry<K, V>> implements WindowStore<K, V> {
  readonly windowSizeMs: number;

  /** `rows` is the key-value store over `table` whose values were serialized with timestampedSerde(options.valueSerde). */
  constructor(options: WindowStoreOptions<K, V>, rows: SqliteKeyValueStore<Buffer, ValueAndTimestamp<V>>, table: WindowedTable, tx: StateTransaction) {
    if (!(options.windowSizeMs > 0) || !(options.retentionMs >= options.windowSizeMs)) {
      throw new StateError("WEIR_STATE_OPTIONS_INVALID", `window store ${options.name} needs windowSizeMs > 0 and retentionMs ≥ windowSizeMs, got ${options.windowSizeMs} and ${options.retentionMs}`);
    }
    super(options, timestampedSerde(options.valueSerde), rows, table, tx);
    this.windowSizeMs = options.windowSizeMs;
  }

  put(key: K, windowStart: number, value: V | null, timestamp: number): void {
    this.tx.beginWrite("put");
    const k = windowKey(this.keySerde.serialize(key, this.topic), windowStart);
    this.clock.advance(timestamp);
    // A window already expired is not written back, as Kafka Streams skips puts into expired segments.
    if (windowStart < this.clock.cutoff()) return;
    if (value === null || value === undefined) this.rows.delete(k);
    else this.rows.put(k, { value, timestamp });
  }

  fetch(key: K, windowStart: number): ValueAndTimestamp<V> | undefined {
    this.tx.assertReadable("fetch");
    if (windowStart < this.clock.cutoff()) return undefined;
    return this.rows.get(windowKey(this.keySerde.serialize(key, this.topic), windowStart));
  }

  fetchRange(key: K, fromStart: number, toStart: number): WindowStoreEntry<K, V>[] {
    this.readable("fetchRange");
    const from = Math.max(fromStart, this.clock.cutoff());
    if (from > toStart) return [];
    return this.table.fetchKey(this.keySerde.serialize(key, this.topic), from, toStart).map((row) => this.entry(row, key));
  }

  protected entry(row: WindowedRow, key: K | undefined): WindowStoreEntry<K, V> {
    const { value, timestamp } = this.valueSerde.deserialize(row.value, this.topic);
    return { key: key ?? this.keySerde.deserialize(row.key, this.topic), start: row.start, end: row.start + this.windowSizeMs, value, timestamp };
  }
}
