// Repartitioning: a sink writing an internal topic keyed by the new key, and a source reading it back.
// The topic cuts the graph, so what follows runs as its own sub-topology, on tasks that own the key.
import { FilterProcessor } from "../processor/stateless.ts";
import type { Serde } from "../serdes/serde.ts";
import { TopologyError, type TopologyGraph } from "./graph.ts";
import type { Topology } from "./topology.ts";

export interface RepartitionSpec {
  /** The user's name (names the topic `<applicationId>-<name>-repartition`); generated when absent. */
  readonly name?: string;
  readonly partitions?: number;
  readonly keySerde: Serde<unknown>;
  readonly valueSerde: Serde<unknown>;
  /** Records without a key have no partition to go to for an aggregation: drop them before the topic. */
  readonly dropNullKeys: boolean;
}

/** Adds filter (optional) → sink → topic → source after `parent`; returns the source's name. */
export function addRepartition(graph: TopologyGraph, parent: string, spec: RepartitionSpec): string {
  if (spec.partitions !== undefined && (!Number.isSafeInteger(spec.partitions) || spec.partitions < 1)) {
    throw new TopologyError(`repartition ${spec.name ?? ""}: partitions must be a whole number ≥ 1, got ${spec.partitions}`);
  }
  if (spec.name !== undefined && !/^[A-Za-z0-9._-]+$/.test(spec.name)) {
    throw new TopologyError(`repartition name "${spec.name}" may hold only letters, digits, '.', '_' and '-' (it names a topic)`);
  }
  // Generated names keep Kafka Streams' prefixes, so sub-topologies sort (and number) as there.
  const base = spec.name ?? graph.nextName("KSTREAM-REPARTITION");
  const named = (suffix: string, prefix: string) => (spec.name !== undefined ? `${spec.name}-repartition-${suffix}` : graph.nextName(prefix));
  const topic = `${base}-repartition`;
  graph.addRepartitionTopic({ name: topic, partitions: spec.partitions });
  let last = parent;
  if (spec.dropNullKeys) {
    const filter = named("filter", "KSTREAM-FILTER");
    graph.add({
      kind: "processor",
      name: filter,
      supplier: () => new FilterProcessor<unknown, unknown>((key) => key !== null && key !== undefined, true),
      parents: [last],
      children: [],
      stores: [],
    });
    last = filter;
  }
  graph.add({ kind: "sink", name: named("sink", "KSTREAM-SINK"), topic, keySerde: spec.keySerde, valueSerde: spec.valueSerde, parents: [last] });
  const source = named("source", "KSTREAM-SOURCE");
  graph.add({ kind: "source", name: source, topics: [topic], keySerde: spec.keySerde, valueSerde: spec.valueSerde, children: [] });
  return source;
}

/**
 * The partition count of each repartition topic: its explicit count, else the largest count among the
 * topics its writing sub-topology reads (which may be repartition topics themselves), as in Kafka Streams.
 */
export function repartitionPartitionCounts(topology: Topology, sourceCounts: ReadonlyMap<string, number>): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of topology.repartitionTopics) if (r.partitions !== undefined) counts.set(r.name, r.partitions);
  const countOf = (topic: string) => counts.get(topic) ?? sourceCounts.get(topic);
  // Each pass settles at least one topic whose writers' inputs are all known; a chain of n needs n passes.
  for (let pass = 0; pass <= topology.repartitionTopics.length; pass++) {
    for (const r of topology.repartitionTopics) {
      if (counts.has(r.name)) continue;
      const writers = topology.subTopologies.filter((s) => s.sinkTopics.includes(r.name));
      const inputs = writers.flatMap((s) => s.sourceTopics.map(countOf));
      if (inputs.length === 0 || inputs.some((c) => c === undefined)) continue;
      counts.set(r.name, Math.max(...(inputs as number[])));
    }
  }
  // A cycle (a foreign-key join's subscription and response topics: each side writes what the other reads)
  // never settles above; such a topic takes the largest count among its writers' inputs that are known.
  for (let pass = 0; pass <= topology.repartitionTopics.length; pass++) {
    for (const r of topology.repartitionTopics) {
      if (counts.has(r.name)) continue;
      const writers = topology.subTopologies.filter((s) => s.sinkTopics.includes(r.name));
      const known = writers.flatMap((s) => s.sourceTopics.map(countOf)).filter((c): c is number => c !== undefined);
      if (known.length > 0) counts.set(r.name, Math.max(...known));
    }
  }
  const unknown = topology.repartitionTopics.filter((r) => !counts.has(r.name)).map((r) => r.name);
  if (unknown.length > 0) throw new TopologyError(`cannot work out the partition count of ${unknown.join(", ")}: no sub-topology with known inputs writes it`);
  return counts;
}
