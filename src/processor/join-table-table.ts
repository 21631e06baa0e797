// Table–table joins (inner, left, outer): an update on either side is joined with the other side's current
// row, as Kafka Streams' KTableKTable{Inner,Left,Right,Outer}Join do, with their result timestamps (the later
// of the two rows, KIP-258) and their tombstones: a deletion goes on only where the joined row may have
// existed, and a deletion of a row that never existed (its prior value is known to be null) with no other
// row emits nothing (see the cases in `process`).
import type { Processor, ProcessorContext } from "./processor.ts";
import type { StreamRecord } from "./record.ts";
import { isOutOfOrderVersion, priorValueOf, tableUpdate, type TableUpdate } from "./table-update.ts";
import { UNKNOWN_TIMESTAMP, type TableValueGetter, type TableValueGetterSupplier } from "./table-value-getter.ts";

export type TableJoinKind = "inner" | "left" | "outer";

export interface TableTableJoinOptions<VL, VR, VOut> {
  readonly kind: TableJoinKind;
  /** Which input this processor receives: the table `join` was called on ("left") or its argument ("right"). */
  readonly side: "left" | "right";
  /** Reads the other input's current row. */
  readonly other: TableValueGetterSupplier<unknown, unknown>;
  /** Called with null for an absent side only where the join kind allows it (left: right side; outer: either). */
  readonly joiner: (left: VL | null, right: VR | null) => VOut;
}

export class TableTableJoinProcessor<K, VL, VR, VOut> implements Processor<K, unknown, K, VOut | null> {
  private readonly options: TableTableJoinOptions<VL, VR, VOut>;
  private context!: ProcessorContext<K, VOut | null>;
  private other!: TableValueGetter<K, unknown>;

  constructor(options: TableTableJoinOptions<VL, VR, VOut>) {
    this.options = options;
  }

  init(context: ProcessorContext<K, VOut | null>): void {
    this.context = context;
    this.other = this.options.other.get(context);
  }

  process(record: StreamRecord<K, unknown>): void {
    if (record.key === null || record.key === undefined) {
      this.context.dropRecord("null key in a table-table join");
      return;
    }
    // A versioned table's out-of-order update does not change its current row (Kafka Streams drops it too).
    if (isOutOfOrderVersion(record)) return;
    const { kind, side } = this.options;
    const updated = record.value ?? null;
    const row = this.other.get(record.key);
    const other = row?.value ?? null;
    const timestamp = Math.max(record.timestamp, row?.timestamp ?? UNKNOWN_TIMESTAMP);
    // The joined row with this side's value `mine` (the update's, or the prior one).
    const join = (mine: unknown): VOut => (side === "left" ? this.options.joiner(mine as VL | null, other as VR | null) : this.options.joiner(other as VL | null, mine as VR | null));
    if (kind === "inner" || (kind === "left" && side === "right")) {
      // KTableKTableInnerJoin, and the right side of a left join (KTableKTableRightJoin): nothing without the
      // other row; with it, the joined row (a left join's right side may be null: joined with null).
      if (other === null) return;
      const mineOptional = kind === "left";
      const value = updated !== null || mineOptional ? join(updated) : null;
      this.forward(record, value, timestamp, (old) => (old !== null ? join(old) : mineOptional ? join(null) : null));
      return;
    }
    // The left side of a left join, either side of an outer join (KTableKTableLeftJoin, KTableKTableOuterJoin):
    // with no other row, a deletion of a row this side never had emits nothing. An unknown prior value (a
    // table whose sender cannot tell) counts as a row, so the tombstone goes on.
    const prior = priorValueOf(record);
    if (other === null && updated === null && prior === null) return;
    const value = updated !== null ? join(updated) : kind === "outer" && other !== null ? join(null) : null;
    this.forward(record, value, timestamp, (old) => (old !== null ? join(old) : kind === "outer" && other !== null ? join(null) : null));
  }

  /** Forwards the joined row; its prior value (for a join downstream) is `priorOf` the input's, when known. */
  private forward(record: StreamRecord<K, unknown>, value: VOut | null, timestamp: number, priorOf: (old: unknown) => VOut | null): void {
    const known = (record as TableUpdate<K, unknown>).priorValue;
    this.context.forward(tableUpdate(record, value, timestamp, known === undefined ? undefined : () => priorOf(known())));
  }
}
