// Table–table joins (inner, left, outer): an update on either side recomputes the joined row of its key
// from the update and the other side's store, as Kafka Streams' KTableKTable{Inner,Left,Outer}Join do.
// A key whose joined row stops existing gets a tombstone; updates that cannot change the row emit nothing.
import type { KeyValueStore } from "../state/types.ts";
import type { Processor, ProcessorContext } from "./processor.ts";
import type { StreamRecord } from "./record.ts";

export type TableJoinKind = "inner" | "left" | "outer";

export interface TableTableJoinOptions<VL, VR, VOut> {
  readonly kind: TableJoinKind;
  /** Which input this processor receives: the table `join` was called on ("left") or its argument ("right"). */
  readonly side: "left" | "right";
  /** The store of the other input. */
  readonly otherStore: string;
  /** Called with null for an absent side only where the join kind allows it (left: right side; outer: either). */
  readonly joiner: (left: VL | null, right: VR | null) => VOut;
}

export class TableTableJoinProcessor<K, VL, VR, VOut> implements Processor<K, unknown, K, VOut | null> {
  private readonly options: TableTableJoinOptions<VL, VR, VOut>;
  private context!: ProcessorContext<K, VOut | null>;
  private other!: KeyValueStore<K, unknown>;

  constructor(options: TableTableJoinOptions<VL, VR, VOut>) {
    this.options = options;
  }

  init(context: ProcessorContext<K, VOut | null>): void {
    this.context = context;
    this.other = context.getStateStore<KeyValueStore<K, unknown>>(this.options.otherStore);
  }

  process(record: StreamRecord<K, unknown>): void {
    if (record.key === null || record.key === undefined) return;
    const updated = record.value ?? null;
    const other = this.other.get(record.key) ?? null;
    const left = (this.options.side === "left" ? updated : other) as VL | null;
    const right = (this.options.side === "left" ? other : updated) as VR | null;
    const { kind } = this.options;
    // The joined row exists after this update when…
    const exists = kind === "inner" ? left !== null && right !== null : kind === "left" ? left !== null : left !== null || right !== null;
    if (exists) {
      this.forward(record, this.options.joiner(left, right));
      return;
    }
    // …and may have existed before it when the other side alone does not rule it out: this side was just
    // deleted (or never had the key, which Kafka Streams cannot tell without old values either).
    const couldHaveExisted =
      kind === "inner" ? other !== null : kind === "left" ? this.options.side === "left" : other === null;
    if (couldHaveExisted && updated === null) this.forward(record, null);
  }

  private forward(record: StreamRecord<K, unknown>, value: VOut | null): void {
    this.context.forward({ key: record.key, value, timestamp: record.timestamp, headers: record.headers });
  }
}
