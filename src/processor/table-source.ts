// The processor behind `builder.table(topic)` (and a materialized join's result): each record upserts its key
// in the table's store and is forwarded as the table's update, with the row's value before it (see
// table-update.ts); a tombstone (null value) deletes the key and is forwarded. A versioned table's source
// keeps every version and forwards only in-order updates.
import type { KeyValueStore, ValueAndTimestamp } from "../state/types.ts";
import { NOT_PUT, VALID_TO_UNDEFINED, type VersionedKeyValueStore } from "../state/versioned-store.ts";
import type { Processor, ProcessorContext } from "./processor.ts";
import type { StreamRecord } from "./record.ts";
import { tableUpdate, type TableUpdate } from "./table-update.ts";

export class TableSourceProcessor<K, V> implements Processor<K, V | null, K, V | null> {
  private readonly storeName: string;
  private readonly timestamped: boolean;
  private context!: ProcessorContext<K, V | null>;
  private store!: KeyValueStore<K, unknown>;

  /** `timestamped`: the store keeps each row's timestamp (StoreDefinition.timestamped), as a KTable's store does. */
  constructor(storeName: string, timestamped = false) {
    this.storeName = storeName;
    this.timestamped = timestamped;
  }

  init(context: ProcessorContext<K, V | null>): void {
    this.context = context;
    this.store = context.getStateStore<KeyValueStore<K, unknown>>(this.storeName);
  }

  process(record: StreamRecord<K, V | null>): void {
    // A table row needs a key, as in Kafka Streams' KTableSource.
    if (record.key === null || record.key === undefined) {
      this.context.dropRecord("null key in a table source");
      return;
    }
    const value = record.value ?? null;
    const stored = this.store.get(record.key);
    const prior = stored === undefined ? null : this.timestamped ? (stored as ValueAndTimestamp<V>).value : (stored as V);
    if (value === null) this.store.delete(record.key);
    else this.store.put(record.key, this.timestamped ? { value, timestamp: record.timestamp } : value);
    // Forwarded even when the key was absent, as Kafka Streams does (a tombstone downstream deletes nothing).
    this.context.forward(tableUpdate(record, value, record.timestamp, () => prior));
  }
}

/**
 * A versioned table's source (KIP-914): each record is put into the versioned store at its timestamp. Only
 * an update that becomes the key's newest version is forwarded; an out-of-order one (older than the key's
 * newest) only fills in the history, and one older than the store's history retention is dropped.
 */
export class VersionedTableSourceProcessor<K, V> implements Processor<K, V | null, K, V | null> {
  private readonly storeName: string;
  private context!: ProcessorContext<K, V | null>;
  private store!: VersionedKeyValueStore<K, V>;

  constructor(storeName: string) {
    this.storeName = storeName;
  }

  init(context: ProcessorContext<K, V | null>): void {
    this.context = context;
    this.store = context.getStateStore<VersionedKeyValueStore<K, V>>(this.storeName);
  }

  process(record: StreamRecord<K, V | null>): void {
    if (record.key === null || record.key === undefined) {
      this.context.dropRecord("null key in a table source");
      return;
    }
    const value = record.value ?? null;
    const prior = this.store.get(record.key)?.value ?? null;
    const validTo = this.store.put(record.key, value, record.timestamp);
    if (validTo === NOT_PUT) {
      this.context.dropRecord("older than a versioned table's history retention");
      return;
    }
    // An update older than the key's newest version is in the history, and goes on marked so (KIP-914): a
    // toStream sees it, the operators that keep current rows drop it (TableUpdate.isLatest).
    if (validTo !== VALID_TO_UNDEFINED) {
      this.context.forward({ key: record.key, value, timestamp: record.timestamp, headers: record.headers, isLatest: false } as TableUpdate<K, V>);
      return;
    }
    this.context.forward(tableUpdate(record, value, record.timestamp, () => prior));
  }
}
