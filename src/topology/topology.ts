// A built topology: immutable, split into sub-topologies, and able to describe itself.
import { splitSubTopologies, TopologyError, type RepartitionTopic, type StoreDefinition, type SubTopology, type TopologyNode } from "./graph.ts";

export class Topology {
  readonly subTopologies: readonly SubTopology[];
  /** The stores of GlobalKTables: each instance holds the whole topic of each, outside any task. */
  readonly globalStores: readonly StoreDefinition[];
  /** Internal topics between sub-topologies; named `<applicationId>-<name>-repartition` once `applicationId` is set. */
  readonly repartitionTopics: readonly RepartitionTopic[];
  /** Set by forApplication(): the id that prefixes the internal topics' names. */
  readonly applicationId: string | undefined;
  private readonly nodes: readonly TopologyNode[];
  private readonly stores: ReadonlyMap<string, StoreDefinition>;

  constructor(
    nodes: readonly TopologyNode[],
    stores: ReadonlyMap<string, StoreDefinition> = new Map(),
    repartitionTopics: readonly RepartitionTopic[] = [],
    applicationId?: string,
  ) {
    if (!nodes.some((n) => n.kind === "source")) {
      throw new TopologyError("the topology has no source: call builder.stream(topic, …) before build()");
    }
    this.nodes = nodes;
    this.stores = stores;
    this.repartitionTopics = repartitionTopics;
    this.applicationId = applicationId;
    this.subTopologies = splitSubTopologies(nodes, stores);
    this.globalStores = [...stores.values()].filter((s) => s.global);
    const seen = new Map<string, number>();
    for (const sub of this.subTopologies) {
      for (const topic of sub.sourceTopics) {
        const other = seen.get(topic);
        if (other !== undefined) {
          throw new TopologyError(`topic ${topic} is read by sub-topologies ${other} and ${sub.id}; read it once and share the stream`);
        }
        seen.set(topic, sub.id);
      }
    }
    for (const store of this.globalStores) {
      const topic = store.global!.topic;
      if (seen.has(topic) || this.globalStores.some((g) => g !== store && g.global!.topic === topic)) {
        throw new TopologyError(`topic ${topic} of global table ${store.name} is read elsewhere too; a topic is either a global table or read once by the sub-topologies`);
      }
    }
  }

  /** The topics of the global tables. */
  globalTopics(): string[] {
    return this.globalStores.map((s) => s.global!.topic);
  }

  /** Every topic some source reads. */
  sourceTopics(): string[] {
    return this.subTopologies.flatMap((s) => [...s.sourceTopics]);
  }

  /** Every fixed topic some sink writes, repartition topics excluded (Weir creates those). */
  sinkTopics(): string[] {
    const internal = new Set(this.repartitionTopics.map((r) => r.name));
    return [...new Set(this.subTopologies.flatMap((s) => s.sinkTopics.filter((t) => !internal.has(t))))];
  }

  /** Every source topic that is not a repartition topic: what the user's cluster must hold. */
  externalSourceTopics(): string[] {
    const internal = new Set(this.repartitionTopics.map((r) => r.name));
    return this.sourceTopics().filter((t) => !internal.has(t));
  }

  /** The changelog topic of a store: `<applicationId>-<store>-changelog`, as in Kafka Streams. */
  static changelogTopic(applicationId: string, store: string): string {
    return `${applicationId}-${store}-changelog`;
  }

  /** A repartition topic: `<applicationId>-<name>-repartition`, as in Kafka Streams. */
  static repartitionTopic(applicationId: string, name: string): string {
    return `${applicationId}-${name}-repartition`;
  }

  /**
   * The same topology with its repartition topics named for `applicationId` (the DSL does not know the id:
   * it names them `<name>-repartition`). The runtime and the test driver run the returned topology.
   */
  forApplication(applicationId: string): Topology {
    if (this.applicationId !== undefined) {
      if (this.applicationId === applicationId) return this;
      throw new TopologyError(`this topology was already named for application ${this.applicationId}, not ${applicationId}`);
    }
    const internal = new Set(this.repartitionTopics.map((r) => r.name));
    const rename = (topic: string) => (internal.has(topic) ? `${applicationId}-${topic}` : topic);
    const nodes = this.nodes.map((n): TopologyNode => {
      if (n.kind === "source") return { ...n, topics: n.topics.map(rename), children: [...n.children] };
      if (n.kind === "sink") return { ...n, topic: typeof n.topic === "string" ? rename(n.topic) : n.topic };
      return { ...n, children: [...n.children] };
    });
    const topics = this.repartitionTopics.map((r) => ({ ...r, name: rename(r.name) }));
    return new Topology(nodes, this.stores, topics, applicationId);
  }

  /** The sub-topology that reads `topic`. */
  subTopologyOf(topic: string): SubTopology {
    const sub = this.subTopologies.find((s) => s.sourceTopics.includes(topic));
    if (!sub) throw new TopologyError(`no sub-topology reads topic ${topic}`);
    return sub;
  }

  /** The same text layout as Kafka Streams' `Topology.describe()`. */
  describe(): string {
    const lines = ["Topologies:"];
    for (const sub of this.subTopologies) {
      lines.push(`   Sub-topology: ${sub.id}`);
      for (const node of sub.nodes) {
        if (node.kind === "source") {
          lines.push(`    Source: ${node.name} (topics: [${node.topics.join(", ")}])`);
        } else if (node.kind === "processor") {
          lines.push(`    Processor: ${node.name} (stores: [${node.stores.join(", ")}])${node.settings === undefined ? "" : ` ${node.settings}`}`);
        } else {
          lines.push(`    Sink: ${node.name} (${typeof node.topic === "string" ? `topic: ${node.topic}` : "topic chosen per record"})`);
        }
        if (node.kind !== "sink" && node.children.length > 0) lines.push(`      --> ${node.children.join(", ")}`);
        if (node.kind !== "source") lines.push(`      <-- ${node.parents.join(", ")}`);
      }
    }
    for (const store of this.globalStores) lines.push(`   Global store: ${store.name} (topic: ${store.global!.topic})`);
    return lines.join("\n") + "\n";
  }

  /** The graph as data: per sub-topology, each node with its topics, stores and children. */
  describeNodes(): { id: number; nodes: { name: string; kind: TopologyNode["kind"]; topics: string[]; stores: string[]; children: string[] }[] }[] {
    return this.subTopologies.map((sub) => ({
      id: sub.id,
      nodes: sub.nodes.map((n) => ({
        name: n.name,
        kind: n.kind,
        topics: n.kind === "source" ? [...n.topics] : n.kind === "sink" ? (typeof n.topic === "string" ? [n.topic] : []) : [],
        stores: n.kind === "processor" ? [...n.stores] : [],
        children: n.kind === "sink" ? [] : [...n.children],
      })),
    }));
  }

  /** The graph as a Mermaid flowchart, one subgraph per sub-topology. */
  describeMermaid(): string {
    const id = (name: string) => name.replace(/[^A-Za-z0-9_]/g, "_");
    const lines = ["flowchart LR"];
    for (const sub of this.subTopologies) {
      lines.push(`  subgraph sub${sub.id}["Sub-topology ${sub.id}"]`);
      for (const node of sub.nodes) {
        if (node.kind === "source") lines.push(`    ${id(node.name)}[/"${node.name}<br/>${node.topics.join(", ")}"/]`);
        else if (node.kind === "sink") lines.push(`    ${id(node.name)}[\\"${node.name}<br/>${typeof node.topic === "string" ? node.topic : "(topic chosen per record)"}"\\]`);
        else lines.push(`    ${id(node.name)}["${node.name}"]`);
      }
      lines.push("  end");
      for (const node of sub.nodes) {
        if (node.kind === "sink") continue;
        for (const child of node.children) lines.push(`  ${id(node.name)} --> ${id(child)}`);
      }
    }
    return lines.join("\n") + "\n";
  }
}
