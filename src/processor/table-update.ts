// A KTable's update as it travels between table processors: the record (a null value deletes the key) and,
// beside it, the row's value before the update when the processor that sent it knows it — Kafka Streams'
// Change.oldValue with sendOldValues. Table–table left and outer joins need it to tell a deletion of a row
// that existed (a tombstone goes on) from one of a row that never did (nothing does). It is a function, so
// that a mapValues or filter on the way computes the old value only when a join asks for it.
import type { StreamRecord } from "./record.ts";

export interface TableUpdate<K, V> extends StreamRecord<K, V | null> {
  /** The row's value before this update (null: it had none); absent when the sender does not know it. */
  readonly priorValue?: () => V | null;
  /**
   * false: a versioned table's update older than the key's newest version (Kafka Streams' Change.isLatest,
   * KIP-914). It goes on to `toStream` through `mapValues`/`filter`; operators that keep the table's current
   * rows (table–table and foreign-key joins, `groupBy`) drop it. Absent: the newest.
   */
  readonly isLatest?: false;
}

/** A versioned table's out-of-order update (TableUpdate.isLatest): not the key's current row. */
export function isOutOfOrderVersion(record: StreamRecord<unknown, unknown>): boolean {
  return (record as TableUpdate<unknown, unknown>).isLatest === false;
}

/** The value before `record`'s update: null when there was none, undefined when unknown. */
export function priorValueOf<V>(record: StreamRecord<unknown, V | null>): V | null | undefined {
  const prior = (record as TableUpdate<unknown, V>).priorValue;
  return prior === undefined ? undefined : prior();
}

/** `record` with a different value (and timestamp), carrying `priorValue` when known. */
export function tableUpdate<K, V>(record: StreamRecord<K, unknown>, value: V | null, timestamp: number, priorValue: (() => V | null) | undefined): TableUpdate<K, V> {
  const update: TableUpdate<K, V> = { key: record.key, value, timestamp, headers: record.headers };
  const withPrior = priorValue === undefined ? update : { ...update, priorValue };
  return isOutOfOrderVersion(record) ? { ...withPrior, isLatest: false } : withPrior;
}

/** Lifts `record`'s prior value through a value mapping (mapValues, filter): undefined stays unknown. */
export function mapPrior<V, VOut>(record: StreamRecord<unknown, V | null>, map: (prior: V) => VOut | null): (() => VOut | null) | undefined {
  const prior = (record as TableUpdate<unknown, V>).priorValue;
  if (prior === undefined) return undefined;
  return () => {
    const old = prior();
    return old === null ? null : map(old);
  };
}
