// Stream–table and stream–global-table joins: each stream record looks up the table's store at processing
// time (the table side never triggers output). Kafka Streams' KStreamKTableJoin and KStreamGlobalKTableJoin.
// On a versioned table the lookup is as of the stream record's timestamp (KIP-914); with a grace period the
// stream records wait in a buffer store and are joined in timestamp order once stream time passes their
// timestamp + grace (KIP-923), so that table updates arriving out of order up to the grace are seen.
import type { KeyValueStore } from "../state/types.ts";
import { GraceBuffer, type StreamTableJoinGrace } from "./join-grace-buffer.ts";
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
  /** KIP-923: hold stream records back in `store` until stream time reaches their timestamp + `graceMs` (> 0). */
  readonly grace?: StreamTableJoinGrace<K, V>;
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
