// The processors behind KGroupedStream's aggregations and KTable's record-at-a-time operators.
// Every update is forwarded downstream as it happens, as Kafka Streams does with caching off; a store behind
// the record cache (statestoreCacheMaxBytes > 0) forwards only each key's latest update when it is flushed.
import { CachingKeyValueStore, type CachedContext } from "../state/record-cache.ts";
import type { KeyValueStore, ValueAndTimestamp } from "../state/types.ts";
import type { Processor, ProcessorContext } from "./processor.ts";
import type { StreamRecord } from "./record.ts";
import { mapPrior, tableUpdate } from "./table-update.ts";

export type Initializer<A> = () => A;
export type Aggregator<K, V, A> = (key: K, value: V, aggregate: A) => A;
export type Reducer<V> = (aggregate: V, value: V) => V;

/**
 * Folds each record into the aggregate stored under its key, stores it, and forwards it. The aggregate
 * carries the largest timestamp of the records folded into it (Kafka Streams' KStreamAggregate and
 * KStreamReduce, KIP-258): a late record does not move the result back in time.
 */
export class StreamAggregateProcessor<K, V, A> implements Processor<K, V, K, A> {
  private readonly storeName: string;
  private readonly initializer: Initializer<A> | undefined;
  private readonly aggregator: Aggregator<K, V, A>;
  private context!: ProcessorContext<K, A>;
  private store!: KeyValueStore<K, ValueAndTimestamp<A>>;
  /** The store behind the record cache: updates are forwarded when it flushes them, not here. */
  private cache: CachingKeyValueStore<K, ValueAndTimestamp<A>> | undefined;

  /** Without an initializer the first value of a key is its aggregate (reduce). */
  constructor(storeName: string, initializer: Initializer<A> | undefined, aggregator: Aggregator<K, V, A>) {
    this.storeName = storeName;
    this.initializer = initializer;
    this.aggregator = aggregator;
  }

  init(context: ProcessorContext<K, A>): void {
    this.context = context;
    this.store = context.getStateStore<KeyValueStore<K, ValueAndTimestamp<A>>>(this.storeName);
    this.cache = forwardOnFlush(this.store, context);
  }

  process(record: StreamRecord<K, V>): void {
    // As in Kafka Streams, a record without a key or value has nothing to aggregate; it is dropped and counted.
    if (record.key === null || record.key === undefined || record.value === null || record.value === undefined) {
      this.context.dropRecord("null key or value in an aggregation");
      return;
    }
    const previous = this.store.get(record.key);
    let next: A;
    if (previous !== undefined) next = this.aggregator(record.key, record.value, previous.value);
    else if (this.initializer) next = this.aggregator(record.key, record.value, this.initializer());
    else next = record.value as unknown as A;
    const timestamp = previous === undefined ? record.timestamp : Math.max(record.timestamp, previous.timestamp);
    if (this.cache) {
      this.cache.putWithContext(record.key, { value: next, timestamp }, { headers: record.headers, timestamp });
      return;
    }
    this.store.put(record.key, { value: next, timestamp });
    const prior = previous === undefined ? null : previous.value;
    this.context.forward(tableUpdate(record, next, timestamp, () => prior) as StreamRecord<K, A>);
  }
}

/**
 * The store behind the record cache, if it is: its flushed entries are then forwarded as table updates (the latest
 * value, with the row's value before the first cached update as the prior), and the processor forwards nothing itself.
 */
export function forwardOnFlush<K, A>(
  store: KeyValueStore<K, ValueAndTimestamp<A>>,
  context: ProcessorContext<K, A | null>,
): CachingKeyValueStore<K, ValueAndTimestamp<A>> | undefined {
  if (!(store instanceof CachingKeyValueStore)) return undefined;
  const cached = store as CachingKeyValueStore<K, ValueAndTimestamp<A>>;
  cached.setFlushListener((key: K, value: ValueAndTimestamp<A> | undefined, prior: ValueAndTimestamp<A> | undefined, { headers, timestamp }: CachedContext) => {
    const old: A | null = prior === undefined ? null : prior.value;
    context.forward(tableUpdate({ key, value: null, timestamp, headers }, value === undefined ? null : value.value, timestamp, () => old));
  });
  return cached;
}

/** KTable.mapValues: a tombstone stays a tombstone. */
export class TableMapValuesProcessor<K, V, VOut> implements Processor<K, V | null, K, VOut | null> {
  private readonly mapper: (value: V, key: K) => VOut;
  private context!: ProcessorContext<K, VOut | null>;
  constructor(mapper: (value: V, key: K) => VOut) {
    this.mapper = mapper;
  }
  init(context: ProcessorContext<K, VOut | null>): void {
    this.context = context;
  }
  process(record: StreamRecord<K, V | null>): void {
    const value = record.value === null ? null : this.mapper(record.value, record.key);
    this.context.forward(tableUpdate(record, value, record.timestamp, mapPrior(record, (old: V) => this.mapper(old, record.key))));
  }
}

/** KTable.filter: a row that no longer matches becomes a tombstone, so downstream forgets the key. */
export class TableFilterProcessor<K, V> implements Processor<K, V | null, K, V | null> {
  private readonly predicate: (key: K, value: V) => boolean;
  private readonly keepWhen: boolean;
  /** Set when an operator downstream reads old values (KTable's sendOldValues): a null → null update is dropped. */
  private readonly oldValues: { readonly sent: boolean };
  private context!: ProcessorContext<K, V | null>;
  constructor(predicate: (key: K, value: V) => boolean, keepWhen: boolean, oldValues: { readonly sent: boolean } = { sent: false }) {
    this.predicate = predicate;
    this.keepWhen = keepWhen;
    this.oldValues = oldValues;
  }
  init(context: ProcessorContext<K, V | null>): void {
    this.context = context;
  }
  process(record: StreamRecord<K, V | null>): void {
    const keep = record.value !== null && this.predicate(record.key, record.value) === this.keepWhen;
    const prior = mapPrior(record, (old: V) => (this.predicate(record.key, old) === this.keepWhen ? old : null));
    // Kafka Streams' KTableFilter with sendOldValues: nothing changed downstream, nothing is sent. Without it
    // (toStream, an inner join) the update goes on, a tombstone for a row the filter never let through.
    if (!keep && this.oldValues.sent && prior !== undefined && prior() === null) return;
    this.context.forward(tableUpdate(record, keep ? record.value : null, record.timestamp, prior));
  }
}

/** KTable.toStream: passes every update on as a stream record. */
export class PassThroughProcessor<K, V> implements Processor<K, V, K, V> {
  private context!: ProcessorContext<K, V>;
  init(context: ProcessorContext<K, V>): void {
    this.context = context;
  }
  process(record: StreamRecord<K, V>): void {
    this.context.forward(record);
  }
}
