// StreamsBuilder: where a topology starts. Serdes given here fix the stream's key and value types.
import type { KeyValueStoreRef } from "../processor/processor.ts";
import type { Serde } from "../serdes/serde.ts";
import { TopologyError, TopologyGraph, type ErrorHandler, type InvalidTimestampHandling, type TimestampExtractor } from "./graph.ts";
import { KStream, type Named } from "./kstream.ts";
import { Topology } from "./topology.ts";
import type { GlobalKTable } from "./global-ktable.ts";
import type { KTable } from "./ktable.ts";
import { addGlobalTable, addTableSource, type TableConsumed } from "./tables.ts";

export interface Consumed<K, V> extends Named {
  readonly key: Serde<K>;
  readonly value: Serde<V>;
  /** This source's handler of records its serdes cannot read; default: the application's `deserializationErrorHandler`. */
  readonly deserializationErrorHandler?: ErrorHandler;
  /** This source's handler of records a processor throws on; default: the application's `processingErrorHandler`. */
  readonly processingErrorHandler?: ErrorHandler;
  /** The event time of each record; default: the timestamp the record carries. */
  readonly timestampExtractor?: TimestampExtractor;
  /** A negative event time: "fail" (default) stops the task naming the record; "skip" drops it and counts it. */
  readonly onInvalidTimestamp?: InvalidTimestampHandling;
}

export class StreamsBuilder {
  private readonly graph = new TopologyGraph();
  private built = false;

  /** A stream over one topic or several (records of all of them flow into one stream). */
  stream<K, V>(topics: string | readonly string[], consumed: Consumed<K, V>): KStream<K, V> {
    const list = typeof topics === "string" ? [topics] : [...topics];
    if (list.length === 0 || list.some((t) => t.length === 0)) {
      throw new TopologyError("stream() needs at least one non-empty topic name");
    }
    const name = consumed.name ?? this.graph.nextName("KSTREAM-SOURCE");
    this.graph.add({
      kind: "source",
      name,
      topics: list,
      keySerde: consumed.key,
      valueSerde: consumed.value,
      children: [],
      ...(consumed.deserializationErrorHandler ? { deserializationErrorHandler: consumed.deserializationErrorHandler } : {}),
      ...(consumed.processingErrorHandler ? { processingErrorHandler: consumed.processingErrorHandler } : {}),
      timestampExtractor: consumed.timestampExtractor,
      onInvalidTimestamp: consumed.onInvalidTimestamp,
    });
    return new KStream<K, V>(this.graph, name, { key: consumed.key, value: consumed.value });
  }

  /**
   * A table over `topic`: each record upserts its key, a tombstone deletes it. Each task keeps its partitions'
   * rows in the store `consumed.store` (changelog `<applicationId>-<store>-changelog`).
   */
  table<K, V>(topic: string, consumed: TableConsumed<K, V>): KTable<K, V> {
    return addTableSource(this.graph, topic, consumed);
  }

  /**
   * A global table: every instance holds all partitions of `topic` in the store `consumed.store`, restored
   * before any task runs and kept up to date by a consumer of its own. Join streams to it with a key selector.
   */
  globalTable<K, V>(topic: string, consumed: TableConsumed<K, V> & { readonly store: string }): GlobalKTable<K, V> {
    return addGlobalTable(this.graph, topic, consumed);
  }

  /**
   * Declares a key-value store for `process()` processors: each task gets its own instance in its state
   * file, backed by the compacted changelog `<applicationId>-<name>-changelog`. Pass the returned reference
   * in `process(supplier, { stores: [ref] })` and to `context.getStateStore(ref)`.
   */
  addStateStore<K, V>(store: { readonly name: string; readonly key: Serde<K>; readonly value: Serde<V> }): KeyValueStoreRef<K, V> {
    this.graph.addStore({ kind: "keyValue", name: store.name, keySerde: store.key, valueSerde: store.value });
    return { name: store.name, keySerde: store.key, valueSerde: store.value };
  }

  build(): Topology {
    if (this.built) throw new TopologyError("build() was already called on this StreamsBuilder");
    this.built = true;
    return new Topology(this.graph.all(), this.graph.storeDefinitions(), this.graph.repartitionTopics());
  }
}
