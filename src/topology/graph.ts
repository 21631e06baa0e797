// The topology as a graph of named nodes (sources, processors, sinks) and its split into sub-topologies.
import type { ProcessorSupplier } from "../processor/processor.ts";
import type { Serde } from "../serdes/serde.ts";

/**
 * What happens to a record that cannot be read, processed or produced: `fail` stops the task (nothing
 * past the record is committed), `logAndContinue` skips it, `deadLetter` writes its original bytes to the
 * dead-letter topic in the same transaction. The application's config sets the default of each kind.
 */
export type ErrorHandler = "fail" | "logAndContinue" | "deadLetter";

export interface SourceNode {
  readonly kind: "source";
  readonly name: string;
  readonly topics: readonly string[];
  readonly keySerde: Serde<unknown>;
  readonly valueSerde: Serde<unknown>;
  readonly children: string[];
  /** Overrides of the application's handlers for records of this source. */
  readonly deserializationErrorHandler?: ErrorHandler;
  readonly processingErrorHandler?: ErrorHandler;
}

export interface ProcessorNode {
  readonly kind: "processor";
  readonly name: string;
  readonly supplier: ProcessorSupplier<unknown, unknown, unknown, unknown>;
  readonly parents: readonly string[];
  readonly children: string[];
  /** Names of the state stores this processor reads and writes. */
  readonly stores: readonly string[];
}

/** A key-value store declared by the topology; each task gets its own instance, backed by a changelog. */
export interface StoreDefinition {
  readonly name: string;
  readonly keySerde: Serde<unknown>;
  readonly valueSerde: Serde<unknown>;
}

export interface SinkNode {
  readonly kind: "sink";
  readonly name: string;
  readonly topic: string;
  readonly keySerde: Serde<unknown>;
  readonly valueSerde: Serde<unknown>;
  readonly parents: readonly string[];
  /** Overrides the application's handler for records this sink cannot produce. */
  readonly productionErrorHandler?: ErrorHandler;
}

export type TopologyNode = SourceNode | ProcessorNode | SinkNode;

export interface SubTopology {
  readonly id: number;
  readonly sourceTopics: readonly string[];
  readonly sinkTopics: readonly string[];
  /** Every node of the sub-topology, parents before children. */
  readonly nodes: readonly TopologyNode[];
  /** The stores its processors use. */
  readonly stores: readonly StoreDefinition[];
}

/** Collects nodes while a `StreamsBuilder` is used; `build()` freezes it into a `Topology`. */
export class TopologyGraph {
  private readonly nodes = new Map<string, TopologyNode>();
  private readonly stores = new Map<string, StoreDefinition>();
  private counter = 0;

  /** Kafka Streams' naming: `KSTREAM-MAPVALUES-0000000001`, so `describe()` reads familiar. */
  nextName(prefix: string): string {
    return `${prefix}-${String(this.counter++).padStart(10, "0")}`;
  }

  add(node: TopologyNode): void {
    if (this.nodes.has(node.name)) {
      throw new TopologyError(`two nodes are named ${node.name}; processor names must be unique`);
    }
    if (node.kind === "processor") {
      for (const store of node.stores) {
        if (!this.stores.has(store)) throw new TopologyError(`processor ${node.name} uses store ${store}, which no one declared`);
      }
    }
    if (node.kind !== "source") {
      for (const parent of node.parents) {
        const p = this.nodes.get(parent);
        if (!p) throw new TopologyError(`node ${node.name} names an unknown parent ${parent}`);
        if (p.kind === "sink") throw new TopologyError(`sink ${parent} cannot have children (${node.name})`);
        p.children.push(node.name);
      }
    }
    this.nodes.set(node.name, node);
  }

  addStore(store: StoreDefinition): void {
    if (!/^[A-Za-z0-9._-]+$/.test(store.name)) {
      throw new TopologyError(`store name "${store.name}" may hold only letters, digits, '.', '_' and '-' (it names a changelog topic)`);
    }
    if (this.stores.has(store.name)) throw new TopologyError(`two stores are named ${store.name}; store names must be unique`);
    this.stores.set(store.name, store);
  }

  storeDefinitions(): ReadonlyMap<string, StoreDefinition> {
    return this.stores;
  }

  get(name: string): TopologyNode | undefined {
    return this.nodes.get(name);
  }

  all(): readonly TopologyNode[] {
    return [...this.nodes.values()];
  }
}

/** A mistake in how the topology was put together, found before anything runs. */
export class TopologyError extends Error {
  readonly code = "WEIR_TOPOLOGY_INVALID";
  constructor(message: string) {
    super(message);
    this.name = "TopologyError";
  }
}

/** Connected components of the graph; each becomes one sub-topology, numbered in order of first node. */
export function splitSubTopologies(all: readonly TopologyNode[], stores: ReadonlyMap<string, StoreDefinition>): SubTopology[] {
  const byName = new Map(all.map((n) => [n.name, n]));
  const group = new Map<string, number>();
  let groups = 0;
  for (const start of all) {
    if (group.has(start.name)) continue;
    const id = groups++;
    const stack = [start.name];
    while (stack.length > 0) {
      const name = stack.pop()!;
      if (group.has(name)) continue;
      group.set(name, id);
      const node = byName.get(name)!;
      if (node.kind !== "sink") stack.push(...node.children);
      if (node.kind !== "source") stack.push(...node.parents);
    }
  }
  const subs: SubTopology[] = [];
  for (let id = 0; id < groups; id++) {
    const members = all.filter((n) => group.get(n.name) === id);
    const storeNames = new Set(members.flatMap((n) => (n.kind === "processor" ? n.stores : [])));
    subs.push({
      stores: [...storeNames].map((s) => stores.get(s)!),
      id,
      sourceTopics: members.flatMap((n) => (n.kind === "source" ? n.topics : [])),
      sinkTopics: [...new Set(members.flatMap((n) => (n.kind === "sink" ? [n.topic] : [])))],
      nodes: members,
    });
  }
  return subs;
}
