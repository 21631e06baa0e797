// The processor behind `builder.table(topic)`: each record of the topic upserts its key in the table's
// store and is forwarded as the table's update; a tombstone (null value) deletes the key and is forwarded.
import type { KeyValueStore } from "../state/types.ts";
import type { Processor, ProcessorContext } from "./processor.ts";
import type { StreamRecord } from "./record.ts";

export class TableSourceProcessor<K, V> implements Processor<K, V | null, K, V | null> {
  private readonly storeName: string;
  private context!: ProcessorContext<K, V | null>;
  private store!: KeyValueStore<K, V>;

  constructor(storeName: string) {
    this.storeName = storeName;
  }

  init(context: ProcessorContext<K, V | null>): void {
    this.context = context;
    this.store = context.getStateStore<KeyValueStore<K, V>>(this.storeName);
  }

  process(record: StreamRecord<K, V | null>): void {
    // A table row needs a key, as in Kafka Streams' KTableSource.
    if (record.key === null || record.key === undefined) {
      this.context.dropRecord("null key in a table source");
      return;
    }
    if (record.value === null || record.value === undefined) this.store.delete(record.key);
    else this.store.put(record.key, record.value);
    // Forwarded even when the key was absent, as Kafka Streams does (a tombstone downstream deletes nothing).
    this.context.forward(record.value === undefined ? { ...record, value: null } : record);
  }
}
