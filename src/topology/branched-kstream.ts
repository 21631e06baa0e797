// BranchedKStream: what KStream.split() returns; each branch() adds a named branch, defaultBranch() or
// noDefaultBranch() ends the split and gives the branches by name (Kafka Streams' BranchedKStream).
import { BranchProcessor, PassThroughStreamProcessor } from "../processor/stateless.ts";
import { TopologyError, type TopologyGraph } from "./graph.ts";
import type { KStream } from "./kstream.ts";

/** A branch's name; the branches are returned under `<split name><branch name>`, or `<split name><position>` (from 1). */
export interface Branched<N extends string> {
  readonly name?: N;
}

type Predicate<K, V> = (key: K, value: V) => boolean;

export class BranchedKStream<K, V, P extends string, B = Record<never, never>> {
  private readonly graph: TopologyGraph;
  private readonly splitter: string;
  private readonly prefix: P;
  private readonly streamOf: (node: string) => KStream<K, V>;
  // Filled while the branches are declared; the processor reads them when a task builds it, after build().
  private readonly predicates: Predicate<K, V>[] = [];
  private readonly children: string[] = [];
  private defaultChild: string | undefined;
  private readonly branches: Record<string, KStream<K, V>> = {};
  private ended = false;

  /** @internal Built by KStream.split. */
  constructor(graph: TopologyGraph, parent: string, splitter: string, prefix: P, streamOf: (node: string) => KStream<K, V>) {
    this.graph = graph;
    this.splitter = splitter;
    this.prefix = prefix;
    this.streamOf = streamOf;
    graph.add({
      kind: "processor",
      name: splitter,
      supplier: () => new BranchProcessor<K, V>(this.predicates, this.children, this.defaultChild),
      parents: [parent],
      children: [],
      stores: [],
    });
  }

  /** Records for which `predicate` holds (and no earlier branch's) go to this branch; a type guard narrows its value type. */
  branch<VB extends V, N extends string = `${number}`>(
    predicate: (key: K, value: V) => value is VB,
    branched?: Branched<N>,
  ): BranchedKStream<K, V, P, B & { [key in `${P}${N}`]: KStream<K, VB> }>;
  branch<N extends string = `${number}`>(predicate: Predicate<K, V>, branched?: Branched<N>): BranchedKStream<K, V, P, B & { [key in `${P}${N}`]: KStream<K, V> }>;
  branch(predicate: Predicate<K, V>, branched: Branched<string> = {}): unknown {
    this.predicates.push(predicate);
    this.children.push(this.addBranch(branched.name));
    return this;
  }

  /** Ends the split: records no branch took go to this last branch. */
  defaultBranch<N extends string = `${number}`>(branched: Branched<N> = {}): B & { [key in `${P}${N}`]: KStream<K, V> } {
    this.defaultChild = this.addBranch(branched.name);
    return this.end() as B & { [key in `${P}${N}`]: KStream<K, V> };
  }

  /** Ends the split: records no branch took are dropped. */
  noDefaultBranch(): B {
    return this.end() as B;
  }

  private addBranch(name: string | undefined): string {
    if (this.ended) throw new TopologyError(`split ${this.splitter} was already ended by defaultBranch() or noDefaultBranch()`);
    const key = `${this.prefix}${name ?? String(this.children.length + (this.defaultChild === undefined ? 1 : 2))}`;
    if (key in this.branches) throw new TopologyError(`split ${this.splitter} has two branches named ${key}`);
    const node = `${this.splitter}-${name ?? String(this.children.length + 1)}`;
    this.graph.add({ kind: "processor", name: node, supplier: () => new PassThroughStreamProcessor<K, V>(), parents: [this.splitter], children: [], stores: [] });
    this.branches[key] = this.streamOf(node);
    return node;
  }

  private end(): Record<string, KStream<K, V>> {
    this.ended = true;
    return this.branches;
  }
}
