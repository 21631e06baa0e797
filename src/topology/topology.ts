// A built topology: immutable, split into sub-topologies, and able to describe itself.
import { splitSubTopologies, TopologyError, type StoreDefinition, type SubTopology, type TopologyNode } from "./graph.ts";

export class Topology {
  readonly subTopologies: readonly SubTopology[];
  /** The stores of GlobalKTables: each instance holds the whole topic of each, outside any task. */
  readonly globalStores: readonly StoreDefinition[];

  constructor(nodes: readonly TopologyNode[], stores: ReadonlyMap<string, StoreDefinition> = new Map()) {
    if (!nodes.some((n) => n.kind === "source")) {
      throw new TopologyError("the topology has no source: call builder.stream(topic, …) before build()");
    }
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

  /** Every topic some sink writes. */
  sinkTopics(): string[] {
    return [...new Set(this.subTopologies.flatMap((s) => [...s.sinkTopics]))];
  }

  /** The changelog topic of a store: `<applicationId>-<store>-changelog`, as in Kafka Streams. */
  static changelogTopic(applicationId: string, store: string): string {
    return `${applicationId}-${store}-changelog`;
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
          lines.push(`    Processor: ${node.name} (stores: [${node.stores.join(", ")}])`);
        } else {
          lines.push(`    Sink: ${node.name} (topic: ${node.topic})`);
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
        topics: n.kind === "source" ? [...n.topics] : n.kind === "sink" ? [n.topic] : [],
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
        else if (node.kind === "sink") lines.push(`    ${id(node.name)}[\\"${node.name}<br/>${node.topic}"\\]`);
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
