// StreamsBuilder: where a topology starts. Serdes given here fix the stream's key and value types.
import type { Serde } from "../serdes/serde.ts";
import { TopologyError, TopologyGraph, type ErrorHandler } from "./graph.ts";
import { KStream, type Named } from "./kstream.ts";
import { Topology } from "./topology.ts";

export interface Consumed<K, V> extends Named {
  readonly key: Serde<K>;
  readonly value: Serde<V>;
  /** This source's handler of records its serdes cannot read; default: the application's `deserializationErrorHandler`. */
  readonly deserializationErrorHandler?: ErrorHandler;
  /** This source's handler of records a processor throws on; default: the application's `processingErrorHandler`. */
  readonly processingErrorHandler?: ErrorHandler;
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
    });
    return new KStream<K, V>(this.graph, name, { key: consumed.key, value: consumed.value });
  }

  build(): Topology {
    if (this.built) throw new TopologyError("build() was already called on this StreamsBuilder");
    this.built = true;
    return new Topology(this.graph.all(), this.graph.storeDefinitions());
  }
}
