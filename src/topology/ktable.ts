// KTable: a changelog stream read as a table, the latest value per key; a null value deletes the key.
import { PassThroughProcessor, TableFilterProcessor, TableMapValuesProcessor } from "../processor/aggregate.ts";
import type { ProcessorSupplier } from "../processor/processor.ts";
import type { TopologyGraph } from "./graph.ts";
import { KStream, type KnownSerdes, type Named } from "./kstream.ts";

export class KTable<K, V> {
  private readonly graph: TopologyGraph;
  private readonly nodeName: string;
  private readonly serdes: KnownSerdes<K, V>;
  /** The store holding this table, when it is materialized (aggregations are); query it by this name. */
  readonly queryableStoreName: string | undefined;

  /** @internal Built by aggregations and other table operators. */
  constructor(graph: TopologyGraph, nodeName: string, serdes: KnownSerdes<K, V>, storeName?: string) {
    this.graph = graph;
    this.nodeName = nodeName;
    this.serdes = serdes;
    this.queryableStoreName = storeName;
  }

  /** Every update of the table as a stream record; a deletion arrives as a null value. */
  toStream(options?: Named): KStream<K, V> {
    const name = this.addProcessor("KTABLE-TOSTREAM", () => new PassThroughProcessor<K, V>(), options);
    return new KStream<K, V>(this.graph, name, this.serdes);
  }

  /** A table of transformed values; deletions stay deletions. */
  mapValues<VOut>(mapper: (value: V, key: K) => VOut, options?: Named): KTable<K, VOut> {
    const name = this.addProcessor("KTABLE-MAPVALUES", () => new TableMapValuesProcessor<K, V, VOut>(mapper), options);
    return new KTable<K, VOut>(this.graph, name, { key: this.serdes.key });
  }

  /** A table of the rows that match; a row that stops matching is deleted downstream. */
  filter(predicate: (key: K, value: V) => boolean, options?: Named): KTable<K, V> {
    const name = this.addProcessor("KTABLE-FILTER", () => new TableFilterProcessor<K, V>(predicate, true), options);
    return new KTable<K, V>(this.graph, name, this.serdes);
  }

  /** A table of the rows that do not match. */
  filterNot(predicate: (key: K, value: V) => boolean, options?: Named): KTable<K, V> {
    const name = this.addProcessor("KTABLE-FILTER", () => new TableFilterProcessor<K, V>(predicate, false), options);
    return new KTable<K, V>(this.graph, name, this.serdes);
  }

  private addProcessor<KIn, VIn, KOut, VOut>(prefix: string, supplier: ProcessorSupplier<KIn, VIn, KOut, VOut>, options: Named | undefined): string {
    const name = options?.name ?? this.graph.nextName(prefix);
    this.graph.add({
      kind: "processor",
      name,
      supplier: supplier,
      parents: [this.nodeName],
      children: [],
      stores: [],
    });
    return name;
  }
}
