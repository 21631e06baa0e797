// Stream–table and stream–global-table joins: each stream record looks up the table's store at processing
// time (the table side never triggers output). Kafka Streams' KStreamKTableJoin and KStreamGlobalKTableJoin.
import type { Processor, ProcessorContext } from "./processor.ts";
import type { StreamRecord } from "./record.ts";
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
}

export class StreamTableJoinProcessor<K, V, KT, VT, VR> implements Processor<K, V, K, VR> {
  private readonly options: StreamTableJoinOptions<K, V, KT, VT, VR>;
  private context!: ProcessorContext<K, VR>;
  private table!: TableValueGetter<KT, VT>;

  constructor(options: StreamTableJoinOptions<K, V, KT, VT, VR>) {
    this.options = options;
  }

  init(context: ProcessorContext<K, VR>): void {
    this.context = context;
    this.table = this.options.table.get(context);
  }

  process(record: StreamRecord<K, V>): void {
    const { left, keySelector, joiner } = this.options;
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
    // The result keeps the stream record's timestamp (Kafka Streams' KStreamKTableJoin), whatever the row's.
    const found = lookup === null || lookup === undefined ? undefined : this.table.get(lookup)?.value;
    if (found === undefined) {
      if (!left) return;
      this.context.forward({ key: record.key, value: joiner(record.value, null), timestamp: record.timestamp, headers: record.headers });
      return;
    }
    this.context.forward({ key: record.key, value: joiner(record.value, found), timestamp: record.timestamp, headers: record.headers });
  }
}
