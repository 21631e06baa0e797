// Windowed grouped streams: `groupByKey().windowedBy(windows)` then count, reduce or aggregate, giving a
// KTable keyed by Windowed<K> whose store is a window store (time and sliding windows) or a session store.
import { PassThroughProcessor, type Aggregator, type Initializer, type Reducer } from "../processor/aggregate.ts";
import type { WindowedOutputs } from "../processor/late-records.ts";
import type { ProcessorSupplier } from "../processor/processor.ts";
import { SessionAggregateProcessor, type Merger } from "../processor/session-aggregate.ts";
import { SlidingWindowAggregateProcessor } from "../processor/sliding-aggregate.ts";
import { TimeWindowAggregateProcessor } from "../processor/window-aggregate.ts";
import { WindowCloseEmitter, type EmitStrategy } from "../processor/emit-on-close.ts";
import type { Windowed } from "../processor/windowed.ts";
import { serdes as builtIn, type Serde } from "../serdes/serde.ts";
import { windowed } from "../serdes/windowed.ts";
import { TopologyError, type StoreDefinition, type TopologyGraph } from "./graph.ts";
import type { Materialized } from "./kgrouped-stream.ts";
import { KTable } from "./ktable.ts";
import { durationMs, TimeWindows, type Duration, type SessionWindows, type SlidingWindows } from "./windows.ts";

export interface LateRecords {
  /** Records later than their window's close are written here as they arrived at the aggregation; the topic must exist. */
  readonly topic: string;
}

export interface WindowedOptions {
  readonly lateRecords?: LateRecords;
  /** `EmitStrategy.onWindowClose()`: one result per window when it closes (time, sliding and session windows). */
  readonly emitStrategy?: EmitStrategy;
}

export interface WindowedMaterialized<V> extends Materialized<V> {
  /** How long the store keeps windows; at least (and by default) what Kafka Streams requires: size + grace. */
  readonly retention?: Duration;
  readonly lateRecords?: LateRecords;
}

/** What both windowed streams share: the grouped stream's serdes and how to add an aggregation node. */
abstract class WindowedStream<K, V> {
  protected readonly graph: TopologyGraph;
  protected readonly parent: string;
  protected readonly keySerde: Serde<K>;
  protected readonly valueSerde: Serde<V> | undefined;
  protected readonly options: WindowedOptions;

  constructor(graph: TopologyGraph, parent: string, keySerde: Serde<K>, valueSerde: Serde<V> | undefined, options: WindowedOptions) {
    this.graph = graph;
    this.parent = parent;
    this.keySerde = keySerde;
    this.valueSerde = valueSerde;
    this.options = options;
  }

  protected valueSerdeFor(materialized: Materialized<V>, operation: string): Serde<V> {
    const serde = materialized.value ?? this.valueSerde;
    if (!serde) throw new TopologyError(`${operation}() needs { value: serde }: the stream's value serde is not known here`);
    return serde;
  }

  /**
   * Adds the aggregation node and its store; with a late-records topic, the node gets two children: a
   * pass-through that carries the results on, and a sink for late records.
   */
  protected addAggregation<A>(
    store: Omit<StoreDefinition, "name" | "keySerde">,
    storeName: string | undefined,
    lateRecords: LateRecords | undefined,
    supplier: (outputs: WindowedOutputs) => ProcessorSupplier<unknown, unknown, unknown, unknown>,
    windowSpec: { graceMs: number; endInclusive: boolean },
  ): KTable<Windowed<K>, A> {
    const name = this.graph.nextName("KSTREAM-AGGREGATE");
    const storeId = storeName ?? `${name}-STATE-STORE`;
    this.graph.addStore({ ...store, name: storeId, keySerde: this.keySerde });
    const late = lateRecords ?? this.options.lateRecords;
    const outputs: WindowedOutputs = late ? { store: storeId, resultChild: `${name}-RESULTS`, lateChild: `${name}-LATE-RECORDS` } : { store: storeId };
    this.graph.add({ kind: "processor", name, supplier: supplier(outputs), parents: [this.parent], children: [], stores: [storeId] });
    let tableNode = name;
    if (late) {
      if (!this.valueSerde) throw new TopologyError(`lateRecords needs the stream's value serde to write late records to ${late.topic}: pass { value } to groupByKey()`);
      tableNode = outputs.resultChild!;
      this.graph.add({ kind: "processor", name: tableNode, supplier: () => new PassThroughProcessor(), parents: [name], children: [], stores: [] });
      this.graph.add({ kind: "sink", name: outputs.lateChild!, topic: late.topic, keySerde: this.keySerde, valueSerde: this.valueSerde, parents: [name] });
    }
    return new KTable<Windowed<K>, A>(this.graph, tableNode, { key: windowed(this.keySerde), value: store.valueSerde as Serde<A> }, storeId, windowSpec);
  }
}

/** A grouped stream windowed by TimeWindows (tumbling, hopping) or SlidingWindows. */
export class TimeWindowedKStream<K, V> extends WindowedStream<K, V> {
  private readonly windows: TimeWindows | SlidingWindows;

  /** @internal Built by KGroupedStream.windowedBy. */
  constructor(graph: TopologyGraph, parent: string, keySerde: Serde<K>, valueSerde: Serde<V> | undefined, windows: TimeWindows | SlidingWindows, options: WindowedOptions) {
    super(graph, parent, keySerde, valueSerde, options);
    this.windows = windows;
  }

  /**
   * Kafka Streams' emitStrategy (KIP-825): with `EmitStrategy.onWindowClose()` the aggregation forwards each
   * window's aggregate once, when stream time reaches the window's close (end + grace; sliding windows one
   * millisecond later), read from its own store: final results without a suppress buffer.
   */
  emitStrategy(strategy: EmitStrategy): TimeWindowedKStream<K, V> {
    return new TimeWindowedKStream(this.graph, this.parent, this.keySerde, this.valueSerde, this.windows, { ...this.options, emitStrategy: strategy });
  }

  /** The number of records per key and window. */
  count(materialized: Omit<WindowedMaterialized<number>, "value"> = {}): KTable<Windowed<K>, number> {
    return this.add(materialized, builtIn.int64(), () => 0, (_k, _v, n: number) => n + 1);
  }

  /** Combines the values of a key's window with `reducer`; the window's first value is its starting aggregate. */
  reduce(reducer: Reducer<V>, materialized: WindowedMaterialized<V> = {}): KTable<Windowed<K>, V> {
    return this.add(materialized, this.valueSerdeFor(materialized, "reduce"), undefined, (_k, v: V, agg: V) => reducer(agg, v));
  }

  /** Folds the values of a key's window into an aggregate that starts as `initializer()`. */
  aggregate<A>(initializer: Initializer<A>, aggregator: Aggregator<K, V, A>, materialized: WindowedMaterialized<A> & { readonly value: Serde<A> }): KTable<Windowed<K>, A> {
    return this.add(materialized, materialized.value, initializer, aggregator);
  }

  private add<A>(materialized: WindowedMaterialized<A>, valueSerde: Serde<A>, initializer: Initializer<A> | undefined, aggregator: Aggregator<K, V, A>): KTable<Windowed<K>, A> {
    const w = this.windows;
    const retentionMs = Math.max(materialized.retention === undefined ? 0 : durationMs(materialized.retention, "retention"), w.defaultRetentionMs());
    const windowSizeMs = w instanceof TimeWindows ? w.sizeMs : w.timeDifferenceMs;
    // Close time − start (windowCloseTime): time windows [start, end) at end + grace; sliding ones include their end.
    const closeAfterStartMs = w instanceof TimeWindows ? w.sizeMs + w.graceMs : w.timeDifferenceMs + w.graceMs + 1;
    const onClose = this.options.emitStrategy?.onWindowClose === true;
    return this.addAggregation<A>(
      { kind: "window", valueSerde: valueSerde, windowSizeMs, retentionMs },
      materialized.store,
      materialized.lateRecords,
      (outputs) =>
        (w instanceof TimeWindows
          ? () => new TimeWindowAggregateProcessor<K, V, A>(w, initializer, aggregator, outputs, onClose ? new WindowCloseEmitter(closeAfterStartMs, outputs) : undefined)
          : () => new SlidingWindowAggregateProcessor<K, V, A>(w.timeDifferenceMs, w.graceMs, initializer, aggregator, outputs, onClose ? new WindowCloseEmitter(closeAfterStartMs, outputs) : undefined)),
      w,
    );
  }
}

/** A grouped stream windowed by SessionWindows: sessions per key that merge when a record bridges them. */
export class SessionWindowedKStream<K, V> extends WindowedStream<K, V> {
  private readonly windows: SessionWindows;

  /** @internal Built by KGroupedStream.windowedBy. */
  constructor(graph: TopologyGraph, parent: string, keySerde: Serde<K>, valueSerde: Serde<V> | undefined, windows: SessionWindows, options: WindowedOptions) {
    super(graph, parent, keySerde, valueSerde, options);
    this.windows = windows;
  }

  /**
   * Kafka Streams' emitStrategy (KIP-825) for sessions: with `EmitStrategy.onWindowClose()` the aggregation
   * forwards each session once, when stream time passes its end + gap + grace, read from its own store;
   * a session merged away before it closed is never emitted (no tombstones, no updates).
   */
  emitStrategy(strategy: EmitStrategy): SessionWindowedKStream<K, V> {
    return new SessionWindowedKStream(this.graph, this.parent, this.keySerde, this.valueSerde, this.windows, { ...this.options, emitStrategy: strategy });
  }

  /** The number of records per key and session; merged sessions add their counts. */
  count(materialized: Omit<WindowedMaterialized<number>, "value"> = {}): KTable<Windowed<K>, number | null> {
    return this.add(materialized, builtIn.int64(), () => 0, (_k, _v, n: number) => n + 1, (_k, a: number, b: number) => a + b);
  }

  reduce(reducer: Reducer<V>, materialized: WindowedMaterialized<V> = {}): KTable<Windowed<K>, V | null> {
    return this.add(materialized, this.valueSerdeFor(materialized, "reduce"), undefined, (_k, v: V, agg: V) => reducer(agg, v), (_k, a: V, b: V) => reducer(a, b));
  }

  /** `merger` combines the aggregates of two sessions that a record joins into one. */
  aggregate<A>(
    initializer: Initializer<A>,
    aggregator: Aggregator<K, V, A>,
    merger: Merger<K, A>,
    materialized: WindowedMaterialized<A> & { readonly value: Serde<A> },
  ): KTable<Windowed<K>, A | null> {
    return this.add(materialized, materialized.value, initializer, aggregator, merger);
  }

  /** Merged-away sessions arrive downstream as null values (tombstones), hence `A | null`. */
  private add<A>(
    materialized: WindowedMaterialized<A>,
    valueSerde: Serde<A>,
    initializer: Initializer<A> | undefined,
    aggregator: Aggregator<K, V, A>,
    merger: Merger<K, A>,
  ): KTable<Windowed<K>, A | null> {
    const w = this.windows;
    const retentionMs = Math.max(materialized.retention === undefined ? 0 : durationMs(materialized.retention, "retention"), w.defaultRetentionMs());
    const onClose = this.options.emitStrategy?.onWindowClose === true;
    return this.addAggregation<A | null>(
      { kind: "session", valueSerde: valueSerde, retentionMs },
      materialized.store,
      materialized.lateRecords,
      (outputs) =>
        (() => new SessionAggregateProcessor<K, V, A>(w.inactivityGapMs, w.graceMs, initializer, aggregator, merger, outputs, onClose)),
      w,
    );
  }
}
