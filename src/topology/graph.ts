// The topology as a graph of named nodes (sources, processors, sinks) and its split into sub-topologies.
import type { ProcessorSupplier } from "../processor/processor.ts";
import type { Headers } from "../processor/record.ts";
import type { Serde } from "../serdes/serde.ts";

/**
 * What happens to a record that cannot be read, processed or produced: `fail` stops the task (nothing
 * past the record is committed), `logAndContinue` skips it, `deadLetter` writes its original bytes to the
 * dead-letter topic in the same transaction. The application's config sets the default of each kind.
 */
export type ErrorHandler = "fail" | "logAndContinue" | "deadLetter";

/** What a topic chooser sees of the record besides its key and value (Kafka Streams' RecordContext). */
export interface RecordContext {
  readonly timestamp: number;
  readonly headers: Headers;
  /** Where the input record being processed came from; absent for records a punctuator creates. */
  readonly topic?: string;
  readonly partition?: number;
  readonly offset?: string;
}

/** Picks the output topic of each record (Kafka Streams' TopicNameExtractor). The topic must exist. */
export type TopicChooser<K, V> = (key: K, value: V, record: RecordContext) => string;

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
  /** Event time of each record; default: the record's timestamp. */
  readonly timestampExtractor?: TimestampExtractor;
  /** A negative event time fails the task (default) or drops the record and counts it. */
  readonly onInvalidTimestamp?: InvalidTimestampHandling;
}

/** What a timestamp extractor sees: the deserialized record and where it came from. */
export interface ConsumedRecordView {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly key: unknown;
  readonly value: unknown;
  /** The timestamp the record carries (producer or broker time). */
  readonly timestamp: number;
  readonly headers: Headers;
}

/**
 * Kafka Streams' TimestampExtractor: the record's event time in epoch ms. `partitionTime` is the largest
 * event time extracted so far on this input partition (-1 before the first), e.g. to stand in for a missing one.
 */
export type TimestampExtractor = (record: ConsumedRecordView, partitionTime: number) => number;

export type InvalidTimestampHandling = "fail" | "skip";

export interface ProcessorNode {
  readonly kind: "processor";
  readonly name: string;
  readonly supplier: ProcessorSupplier<unknown, unknown, unknown, unknown>;
  readonly parents: readonly string[];
  readonly children: string[];
  /** Names of the state stores this processor reads and writes. */
  readonly stores: readonly string[];
  /** A process() node's per-key timers: their store (also in `stores`) and the serde of their keys, when known. */
  readonly timers?: { readonly store: string; readonly keySerde: Serde<unknown> | undefined };
  /** Settings `describe()` shows after the stores, as the DSL call that made them (a suppress node's buffer). */
  readonly settings?: string;
}

/**
 * A store declared by the topology; each task gets its own instance, backed by a changelog.
 * - `keyValue`: the latest value per key (aggregations, tables).
 * - `window`: aggregates per key and window start (time and sliding windows), with `windowSizeMs`.
 * - `session`: aggregates per key and session.
 * - `timeOrderedBuffer`: the records a `suppress` holds back until their time.
 * - `versioned`: every value of each key by timestamp, kept `historyRetentionMs` behind stream time (a versioned table).
 * Window and session stores drop what is older than `retentionMs` (Infinity = keep).
 */
export interface StoreDefinition {
  readonly name: string;
  readonly kind: "keyValue" | "window" | "session" | "timeOrderedBuffer" | "versioned";
  readonly keySerde: Serde<unknown>;
  readonly valueSerde: Serde<unknown>;
  readonly windowSizeMs?: number;
  readonly retentionMs?: number;
  /** `versioned` only: how long old versions stay readable behind stream time. */
  readonly historyRetentionMs?: number;
  /**
   * `keyValue` only: each value is kept with its row's timestamp (8 bytes before the value's bytes, in the
   * store and its changelog), as Kafka Streams' TimestampedKeyValueStore. The stores of KTables are: table
   * sources, aggregations, materialized joins, so that results carry the timestamps Kafka Streams gives them.
   */
  readonly timestamped?: boolean;
  /**
   * `keyValue` only: the store of a KTable-producing aggregation, kept behind the record cache when
   * statestoreCacheMaxBytes > 0 (its Materialized did not say `caching: false`); see state/record-cache.ts.
   */
  readonly cached?: boolean;
  /** A global store (GlobalKTable): every instance holds the whole `topic`, outside any task. */
  readonly global?: { readonly topic: string };
}

export interface SinkNode {
  readonly kind: "sink";
  readonly name: string;
  /** A fixed topic, or a function choosing one per record. */
  readonly topic: string | TopicChooser<unknown, unknown>;
  readonly keySerde: Serde<unknown>;
  readonly valueSerde: Serde<unknown>;
  readonly parents: readonly string[];
  /** Overrides the application's handler for records this sink cannot produce. */
  readonly productionErrorHandler?: ErrorHandler;
}

export type TopologyNode = SourceNode | ProcessorNode | SinkNode;

/**
 * An internal topic that cuts the graph: a sink writes it, a source of another sub-topology reads it.
 * `name` is `<name>-repartition` until the application id is known, `<applicationId>-<name>-repartition` after.
 */
export interface RepartitionTopic {
  readonly name: string;
  /** Explicit partition count; by default that of the writing sub-topology's inputs. */
  readonly partitions?: number;
}

export interface SubTopology {
  readonly id: number;
  readonly sourceTopics: readonly string[];
  /** The fixed topics its sinks write (a topic chooser's topics are known only per record). */
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
  private readonly repartitions = new Map<string, RepartitionTopic>();
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

  addRepartitionTopic(topic: RepartitionTopic): void {
    if (this.repartitions.has(topic.name)) throw new TopologyError(`two repartition topics are named ${topic.name}; repartition names must be unique`);
    this.repartitions.set(topic.name, topic);
  }

  repartitionTopics(): readonly RepartitionTopic[] {
    return [...this.repartitions.values()];
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

/**
 * Connected components of the graph; each becomes one sub-topology. A repartition topic cuts the graph (its
 * sink and its source are not connected), so the writer and the reader are different sub-topologies.
 * Numbered as Kafka Streams numbers them: by the sorted names of their source nodes.
 * Processors that share a (non-global) store are connected too, as in Kafka Streams: a stream–table join
 * reads the table's store, so the stream and the table end up in one sub-topology (co-partitioned).
 */
export function splitSubTopologies(all: readonly TopologyNode[], stores: ReadonlyMap<string, StoreDefinition>): SubTopology[] {
  const byName = new Map(all.map((n) => [n.name, n]));
  const storeUsers = new Map<string, string[]>();
  for (const n of all) {
    if (n.kind !== "processor") continue;
    for (const s of n.stores) if (!stores.get(s)?.global) storeUsers.set(s, [...(storeUsers.get(s) ?? []), n.name]);
  }
  const group = new Map<string, number>();
  let groups = 0;
  const starts = [...all.filter((n) => n.kind === "source").map((n) => n.name).sort(), ...all.map((n) => n.name)];
  for (const start of starts) {
    if (group.has(start)) continue;
    const id = groups++;
    const stack = [start];
    while (stack.length > 0) {
      const name = stack.pop()!;
      if (group.has(name)) continue;
      group.set(name, id);
      const node = byName.get(name)!;
      if (node.kind !== "sink") stack.push(...node.children);
      if (node.kind !== "source") stack.push(...node.parents);
      if (node.kind === "processor") for (const s of node.stores) stack.push(...(storeUsers.get(s) ?? []));
    }
  }
  const subs: SubTopology[] = [];
  for (let id = 0; id < groups; id++) {
    const members = all.filter((n) => group.get(n.name) === id);
    const storeNames = new Set(members.flatMap((n) => (n.kind === "processor" ? n.stores : [])));
    subs.push({
      // Global stores belong to no task: the runtime keeps them apart (GlobalStores).
      stores: [...storeNames].map((s) => stores.get(s)!).filter((s) => !s.global),
      id,
      sourceTopics: members.flatMap((n) => (n.kind === "source" ? n.topics : [])),
      sinkTopics: [...new Set(members.flatMap((n) => (n.kind === "sink" && typeof n.topic === "string" ? [n.topic] : [])))],
      nodes: members,
    });
  }
  return subs;
}
