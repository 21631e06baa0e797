// Cogroup (Kafka Streams' CogroupedKStream, KIP-150): several grouped streams of one key type, each with
// its own aggregator, folded into one aggregate per key (or per key and window) in one shared store.
import { PassThroughProcessor, StreamAggregateProcessor, type Aggregator, type Initializer } from "../processor/aggregate.ts";
import type { ProcessorSupplier } from "../processor/processor.ts";
import { SessionAggregateProcessor, type Merger } from "../processor/session-aggregate.ts";
import { SlidingWindowAggregateProcessor } from "../processor/sliding-aggregate.ts";
import { TimeWindowAggregateProcessor } from "../processor/window-aggregate.ts";
import type { Windowed, WindowSpec } from "../processor/windowed.ts";
import type { Serde } from "../serdes/serde.ts";
import { windowed } from "../serdes/windowed.ts";
import { TopologyError, type StoreDefinition, type TopologyGraph } from "./graph.ts";
import type { CachedMaterialized, KGroupedStream } from "./kgrouped-stream.ts";
import { KTable } from "./ktable.ts";
import type { WindowedMaterialized } from "./windowed-kstream.ts";
import { durationMs, SessionWindows, TimeWindows, type SlidingWindows } from "./windows.ts";

/** @internal One grouped stream of a cogroup: where it is in the graph and how it folds into the aggregate. */
export interface CogroupInput<K> {
  readonly graph: TopologyGraph;
  readonly parent: string;
  readonly keySerde: Serde<K>;
  readonly aggregator: Aggregator<K, never, unknown>;
}

/** The aggregate's store and the result's table, as every cogroup kind needs them. */
function addCogroup<K>(
  inputs: readonly CogroupInput<K>[],
  store: Omit<StoreDefinition, "keySerde">,
  processorFor: (aggregator: Aggregator<K, never, unknown>) => ProcessorSupplier<unknown, unknown, unknown, unknown>,
): string {
  const graph = inputs[0]!.graph;
  graph.addStore({ ...store, keySerde: inputs[0]!.keySerde });
  // One aggregation node per input, all on the one store (so they share a sub-topology: co-partitioned),
  // merged into one table node as Kafka Streams' COGROUPKSTREAM-MERGE.
  const nodes = inputs.map((input) => {
    const name = graph.nextName("COGROUPKSTREAM-AGGREGATE");
    graph.add({ kind: "processor", name, supplier: processorFor(input.aggregator), parents: [input.parent], children: [], stores: [store.name] });
    return name;
  });
  const merge = graph.nextName("COGROUPKSTREAM-MERGE");
  graph.add({ kind: "processor", name: merge, supplier: () => new PassThroughProcessor(), parents: nodes, children: [], stores: [] });
  return merge;
}

export class CogroupedKStream<K, A> {
  private readonly inputs: readonly CogroupInput<K>[];

  /** @internal Built by KGroupedStream.cogroup. */
  constructor(inputs: readonly CogroupInput<K>[]) {
    this.inputs = inputs;
  }

  /** Adds another grouped stream (same key type, co-partitioned) with its own aggregator. */
  cogroup<V>(grouped: KGroupedStream<K, V>, aggregator: Aggregator<K, V, A>): CogroupedKStream<K, A> {
    const input = grouped.cogroupInput();
    if (input.graph !== this.inputs[0]!.graph) throw new TopologyError("cogroup() needs grouped streams from the same StreamsBuilder");
    if (this.inputs.some((i) => i.parent === input.parent)) throw new TopologyError(`cogroup(): the grouped stream ${input.parent} is already part of this cogroup`);
    return new CogroupedKStream<K, A>([...this.inputs, { ...input, aggregator: aggregator as Aggregator<K, never, unknown> }]);
  }

  /** Folds every input's records into one aggregate per key, starting at `initializer()`; each update is forwarded. */
  aggregate(initializer: Initializer<A>, materialized: CachedMaterialized<A> & { readonly value: Serde<A> }): KTable<K, A> {
    const store = materialized.store ?? `${this.inputs[0]!.graph.nextName("COGROUPKSTREAM-AGGREGATE-STATE-STORE")}`;
    const cached = materialized.caching !== false;
    const node = addCogroup(this.inputs, { name: store, kind: "keyValue", valueSerde: materialized.value, timestamped: true, cached }, (aggregator) => () =>
      new StreamAggregateProcessor(store, initializer, aggregator as Aggregator<unknown, unknown, A>),
    );
    return new KTable<K, A>(this.inputs[0]!.graph, node, { key: this.inputs[0]!.keySerde, value: materialized.value }, store);
  }

  /** Aggregates per window: TimeWindows (tumbling, hopping) and SlidingWindows, or SessionWindows (with a merger). */
  windowedBy(windows: TimeWindows | SlidingWindows): TimeWindowedCogroupedKStream<K, A>;
  windowedBy(windows: SessionWindows): SessionWindowedCogroupedKStream<K, A>;
  windowedBy(windows: TimeWindows | SlidingWindows | SessionWindows): TimeWindowedCogroupedKStream<K, A> | SessionWindowedCogroupedKStream<K, A> {
    if (windows instanceof SessionWindows) return new SessionWindowedCogroupedKStream<K, A>(this.inputs, windows);
    return new TimeWindowedCogroupedKStream<K, A>(this.inputs, windows);
  }
}

function windowedTable<K, A>(inputs: readonly CogroupInput<K>[], node: string, store: string, valueSerde: Serde<A>, spec: WindowSpec): KTable<Windowed<K>, A> {
  return new KTable<Windowed<K>, A>(inputs[0]!.graph, node, { key: windowed(inputs[0]!.keySerde), value: valueSerde }, store, spec);
}

function retentionOf(materialized: WindowedMaterialized<unknown>, defaultMs: number): number {
  if (materialized.lateRecords) throw new TopologyError("a windowed cogroup takes no lateRecords topic: late records are dropped and counted");
  return Math.max(materialized.retention === undefined ? 0 : durationMs(materialized.retention, "retention"), defaultMs);
}

/** A cogroup windowed by TimeWindows or SlidingWindows: one aggregate per key and window in one window store. */
export class TimeWindowedCogroupedKStream<K, A> {
  private readonly inputs: readonly CogroupInput<K>[];
  private readonly windows: TimeWindows | SlidingWindows;

  /** @internal Built by CogroupedKStream.windowedBy. */
  constructor(inputs: readonly CogroupInput<K>[], windows: TimeWindows | SlidingWindows) {
    this.inputs = inputs;
    this.windows = windows;
  }

  aggregate(initializer: Initializer<A>, materialized: WindowedMaterialized<A> & { readonly value: Serde<A> }): KTable<Windowed<K>, A> {
    const w = this.windows;
    const store = materialized.store ?? this.inputs[0]!.graph.nextName("COGROUPKSTREAM-AGGREGATE-STATE-STORE");
    const retentionMs = retentionOf(materialized, w.defaultRetentionMs());
    const windowSizeMs = w instanceof TimeWindows ? w.sizeMs : w.timeDifferenceMs;
    const node = addCogroup(this.inputs, { name: store, kind: "window", valueSerde: materialized.value, windowSizeMs, retentionMs }, (aggregator) => {
      const fold = aggregator as Aggregator<K, unknown, A>;
      return w instanceof TimeWindows
        ? () => new TimeWindowAggregateProcessor<K, unknown, A>(w, initializer, fold, { store })
        : () => new SlidingWindowAggregateProcessor<K, unknown, A>(w.timeDifferenceMs, w.graceMs, initializer, fold, { store });
    });
    return windowedTable(this.inputs, node, store, materialized.value, w);
  }
}

/** A cogroup windowed by SessionWindows: sessions per key that merge (with `merger`) when a record of any input bridges them. */
export class SessionWindowedCogroupedKStream<K, A> {
  private readonly inputs: readonly CogroupInput<K>[];
  private readonly windows: SessionWindows;

  /** @internal Built by CogroupedKStream.windowedBy. */
  constructor(inputs: readonly CogroupInput<K>[], windows: SessionWindows) {
    this.inputs = inputs;
    this.windows = windows;
  }

  /** Merged-away sessions arrive downstream as null values (tombstones), hence `A | null`. */
  aggregate(initializer: Initializer<A>, merger: Merger<K, A>, materialized: WindowedMaterialized<A> & { readonly value: Serde<A> }): KTable<Windowed<K>, A | null> {
    const w = this.windows;
    const store = materialized.store ?? this.inputs[0]!.graph.nextName("COGROUPKSTREAM-AGGREGATE-STATE-STORE");
    const retentionMs = retentionOf(materialized, w.defaultRetentionMs());
    const node = addCogroup(this.inputs, { name: store, kind: "session", valueSerde: materialized.value, retentionMs }, (aggregator) => () =>
      new SessionAggregateProcessor<K, unknown, A>(w.inactivityGapMs, w.graceMs, initializer, aggregator as Aggregator<K, unknown, A>, merger, { store }),
    );
    return windowedTable<K, A | null>(this.inputs, node, store, materialized.value, w);
  }
}
