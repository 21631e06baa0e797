// Where a windowed aggregation sends its results and its late records: when a late-records topic is
// configured, the aggregation has two children, one for results and a sink for late records.
import type { ProcessorContext } from "./processor.ts";
import type { StreamRecord } from "./record.ts";

export interface WindowedOutputs {
  /** The store whose windows the record was late for (labels the late-records metric). */
  readonly store: string;
  /** The child that receives results; undefined = every child (no late-records sink). */
  readonly resultChild?: string;
  /** The sink of the late-records topic, if one is configured. */
  readonly lateChild?: string;
}

/** Counts the record as late and, when configured, writes it as it arrived to the late-records topic. */
export function dropLate<K, V>(context: ProcessorContext<unknown, unknown>, outputs: WindowedOutputs, record: StreamRecord<K, V>): void {
  context.dropLateRecord(outputs.store);
  if (outputs.lateChild !== undefined) context.forward(record, outputs.lateChild);
}

/**
 * A record with no key has no window to go to, as in Kafka Streams' time and session window aggregations:
 * dropped and counted. A null value is aggregated there (Kafka Streams 4.4's KStreamWindowAggregate and
 * KStreamSessionWindowAggregate check only the key): `count()` counts it, an aggregator receives it.
 */
export function hasKey<K, V>(context: ProcessorContext<unknown, unknown>, record: StreamRecord<K, V>): boolean {
  if (record.key === null || record.key === undefined) {
    context.dropRecord("null key in a windowed aggregation");
    return false;
  }
  return true;
}

/** Null keys and values have nothing to aggregate, as in Kafka Streams' sliding windows: dropped and counted. */
export function hasKeyAndValue<K, V>(context: ProcessorContext<unknown, unknown>, record: StreamRecord<K, V>): boolean {
  if (record.key === null || record.key === undefined || record.value === null || record.value === undefined) {
    context.dropRecord("null key or value in an aggregation");
    return false;
  }
  return true;
}
