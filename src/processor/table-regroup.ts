// Re-grouping a table (KTable.groupBy), Kafka Streams' KTableRepartitionMap, KTableAggregate and KTableReduce:
// each table update becomes a Change under its new grouping key (the old row's pair to subtract, the new
// row's pair to add), and the aggregation subtracts then adds, so a row counts in exactly one group.
import { isDeepStrictEqual } from "node:util";
import type { KeyValueStore, ValueAndTimestamp } from "../state/types.ts";
import type { Change } from "./change.ts";
import type { Processor, ProcessorContext } from "./processor.ts";
import type { StreamRecord } from "./record.ts";
import { isOutOfOrderVersion, tableUpdate } from "./table-update.ts";
import { forwardOnFlush } from "./aggregate.ts";
import type { CachingKeyValueStore } from "../state/record-cache.ts";

/** Maps a table row to its grouping key and the value it brings to that group. */
export type GroupSelector<K, V, GK, GV> = (key: K, value: V) => readonly [GK, GV];

function isPair<GK, GV>(pair: readonly [GK, GV] | undefined): pair is readonly [GK, GV] {
  return pair !== undefined && pair[0] !== null && pair[0] !== undefined && pair[1] !== null && pair[1] !== undefined;
}

/**
 * Forwards each table update as Change records keyed by the grouping key. Rather than the upstream's old
 * value (Kafka Streams' sendOldValues, which not every Weir table knows), this node keeps the last pair it
 * selected per table key in its own store (`prior`, with a changelog): that pair is what an update or a
 * delete subtracts.
 *
 * When the old and the new pair have the same grouping key, one record carries both (KIP-904): the
 * aggregation subtracts and adds in one step and emits one result, never the intermediate one. When the
 * key moved, the subtraction goes to the old group first, then the addition to the new one.
 */
export class TableRegroupProcessor<K, V, GK, GV> implements Processor<K, V | null, GK, Change<GV>> {
  private readonly selector: GroupSelector<K, V, GK, GV>;
  private readonly priorStore: string;
  private context!: ProcessorContext<GK, Change<GV>>;
  private prior!: KeyValueStore<K, readonly [GK, GV]>;

  constructor(selector: GroupSelector<K, V, GK, GV>, priorStore: string) {
    this.selector = selector;
    this.priorStore = priorStore;
  }

  init(context: ProcessorContext<GK, Change<GV>>): void {
    this.context = context;
    this.prior = context.getStateStore<KeyValueStore<K, readonly [GK, GV]>>(this.priorStore);
  }

  process(record: StreamRecord<K, V | null>): void {
    if (record.key === null || record.key === undefined) {
      this.context.dropRecord("null key in a table re-grouping");
      return;
    }
    // A versioned table's out-of-order update does not change its current row (Kafka Streams drops it too).
    if (isOutOfOrderVersion(record)) return;
    const old = this.prior.get(record.key);
    const selected = record.value === null || record.value === undefined ? undefined : this.selector(record.key, record.value);
    const next = isPair(selected) ? selected : undefined;
    if (next) this.prior.put(record.key, next);
    else if (old !== undefined) this.prior.delete(record.key);
    const { timestamp, headers } = record;
    if (old !== undefined && next !== undefined && isDeepStrictEqual(old[0], next[0])) {
      this.context.forward({ key: next[0], value: { newValue: next[1], oldValue: old[1] }, timestamp, headers });
      return;
    }
    if (old !== undefined) this.context.forward({ key: old[0], value: { newValue: null, oldValue: old[1] }, timestamp, headers });
    if (next !== undefined) this.context.forward({ key: next[0], value: { newValue: next[1], oldValue: null }, timestamp, headers });
  }
}

/** How a grouped table's aggregate changes: `add` a row's value to it, `subtract` one that left. */
export interface TableAggregation<K, V, A> {
  /** The aggregate of a group before its first row; absent for reduce, whose first value is the aggregate. */
  readonly initializer?: () => A;
  readonly add: (key: K, value: V, aggregate: A) => A;
  readonly subtract: (key: K, value: V, aggregate: A) => A | null;
}

/**
 * Applies each Change to the group's aggregate: first subtracts the old value (when the group has an
 * aggregate), then adds the new one, stores the result and forwards it with the prior aggregate. A reduce whose subtraction leaves
 * null deletes the group (a tombstone downstream); an aggregate, as in Kafka Streams, keeps its value
 * (a count falls to 0, it is not deleted). Behind the record cache, the cache forwards the group's latest at its flush.
 */
export class TableAggregateProcessor<K, V, A> implements Processor<K, Change<V>, K, A | null> {
  private readonly storeName: string;
  private readonly aggregation: TableAggregation<K, V, A>;
  private context!: ProcessorContext<K, A | null>;
  private store!: KeyValueStore<K, ValueAndTimestamp<A>>;
  /** The store behind the record cache: updates are forwarded when it flushes them, not here. */
  private cache: CachingKeyValueStore<K, ValueAndTimestamp<A>> | undefined;

  constructor(storeName: string, aggregation: TableAggregation<K, V, A>) {
    this.storeName = storeName;
    this.aggregation = aggregation;
  }

  init(context: ProcessorContext<K, A | null>): void {
    this.context = context;
    this.store = context.getStateStore<KeyValueStore<K, ValueAndTimestamp<A>>>(this.storeName);
    this.cache = forwardOnFlush(this.store, context);
  }

  process(record: StreamRecord<K, Change<V>>): void {
    if (record.key === null || record.key === undefined || record.value === null || record.value === undefined) {
      this.context.dropRecord("null key or change in a table aggregation");
      return;
    }
    const { newValue, oldValue } = record.value;
    const { initializer, add, subtract } = this.aggregation;
    const stored = this.store.get(record.key);
    const previous = stored?.value ?? null;
    let aggregate: A | null = previous;
    if (oldValue !== null && aggregate !== null) aggregate = subtract(record.key, oldValue, aggregate);
    if (newValue !== null) {
      if (aggregate !== null) aggregate = add(record.key, newValue, aggregate);
      else if (initializer) aggregate = add(record.key, newValue, initializer());
      else aggregate = newValue as unknown as A;
    }
    if (aggregate === null && previous === null) return;
    // Stamped with the largest timestamp of the changes folded in, as the stream aggregations (KTableAggregate).
    const timestamp = stored === undefined ? record.timestamp : Math.max(record.timestamp, stored.timestamp);
    if (this.cache) {
      this.cache.putWithContext(record.key, aggregate === null ? undefined : { value: aggregate, timestamp }, { headers: record.headers, timestamp });
      return;
    }
    if (aggregate === null) this.store.delete(record.key);
    else this.store.put(record.key, { value: aggregate, timestamp });
    // With the group's prior aggregate (Kafka Streams' KTableAggregate sends old values): a filter then a
    // left or outer join downstream must know that a group filtered out had never matched, to send no tombstone.
    this.context.forward(tableUpdate(record, aggregate, timestamp, () => previous));
  }
}
