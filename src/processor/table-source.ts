// The processor behind `builder.table(topic)` (and a materialized join's result): each record upserts its key
// in the table's store and is forwarded as the table's update, with the row's value before it (see
// table-update.ts); a tombstone (null value) deletes the key and is forwarded.
import type { KeyValueStore, ValueAndTimestamp } from "../state/types.ts";
import type { Processor, ProcessorContext } from "./processor.ts";
import type { StreamRecord } from "./record.ts";
import { tableUpdate } from "./table-update.ts";

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
