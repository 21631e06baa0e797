// The processor graph of a task: one sub-topology's processor instances on one partition. It runs each
// input record through them synchronously and hands serialized outputs to the task's record sink; the
// runtime's StreamTask and the TopologyTestDriver run it. (Each processor's context: processor-context.ts.)
import type { BatchMessage, ProducedRecord } from "../kafka/index.ts";
import { isAsyncWork, type AsyncWork, type Processor } from "../processor/processor.ts";
import { isStateResetAware, type StateResetAware } from "../processor/observed-stream-time.ts";
import type { RecordMetadata, StreamRecord } from "../processor/record.ts";
import type { Serde } from "../serdes/serde.ts";
import { StateError } from "../state/errors.ts";
import type { TaskRecordCache } from "../state/record-cache.ts";
import type { KeyValueStore } from "../state/types.ts";
import type { SourceNode, SubTopology, TopicChooser, TopologyNode } from "../topology/graph.ts";
import { RecordError } from "./error-handlers.ts";
import { WeirError } from "./errors.ts";
import { processorContext, type Forward, type ProcessorContextHost } from "./processor-context.ts";
import { taskId } from "./task-id.ts";
import { Topology } from "../topology/topology.ts";
import { TaskTime } from "./task-time.ts";

export interface RecordSink {
  /** Takes a serialized output; throws when the output cannot be produced (e.g. larger than its topic accepts). */
  collect(record: ProducedRecord): void;
  /**
   * A sink could not produce an output of the current input record. Returning drops that output and goes
   * on; throwing fails the input record. Without it, the error fails the input record.
   */
  productionFailed?(error: RecordError): void;
}

export class ProcessorGraph implements ProcessorContextHost {
  readonly id: string;
  private readonly sources = new Map<string, Forward>();
  private readonly sourceNodes = new Map<string, SourceNode>();
  private readonly processors: Processor<unknown, unknown, unknown, unknown>[] = [];
  /** Processors whose in-memory clocks follow their stores (ObservedStreamTime): reset with them. */
  private readonly stateResetAware: StateResetAware[] = [];
  private current: RecordMetadata | undefined;
  /** The record after which event-time timers and stream-time punctuators are running. */
  private trigger: RecordMetadata | undefined;
  /** The node running now, so an error names where it happened. */
  private currentNode = "";

  readonly subTopology: SubTopology;
  readonly partition: number;
  readonly applicationId: string;
  private readonly sink: RecordSink;
  readonly stores: ReadonlyMap<string, unknown>;
  /** Records processors dropped on purpose (e.g. a null key in an aggregation), by reason. */
  readonly dropped = new Map<string, number>();
  /** Topics a topic chooser picked: the runtime checks they exist before committing records to them. */
  readonly chosenTopics = new Set<string>();
  /** Per input topic, the largest event time extracted so far (Kafka Streams' partition time). */
  private readonly partitionTimes = new Map<string, number>();
  /** Records dropped as late (beyond their window's grace), by store. */
  readonly lateDropped = new Map<string, number>();
  /**
   * Stream time: the largest timestamp of the records this task has processed, -1 before any. Kept in
   * memory; the owner sets it when the task opens (from its stores) and after a rollback.
   */
  streamTimeMs = -1;

  private readonly onDrop: ((reason: string) => void) | undefined;
  private readonly onLate: ((store: string) => void) | undefined;

  /** The wall clock processors see (`currentSystemTimeMs`, wall-clock punctuators); the TopologyTestDriver replaces it. */
  systemTimeMs: () => number = Date.now;
  /** Timers and punctuators. */
  readonly time = new TaskTime((node, what, call) => this.runAs(node, what, call));
  /** Processors whose work outlives process() (mapValuesAsync); empty for synchronous topologies. */
  private readonly asyncWork: AsyncWork[] = [];
  private readonly recordCache: TaskRecordCache | undefined;
  /** The first error of work done after an await; it fails the task at its next step. */
  private detachedFailure: Error | undefined;

  /** `stores` holds this task's instance of every store of the sub-topology, by name. */
  constructor(
    subTopology: SubTopology,
    partition: number,
    applicationId: string,
    sink: RecordSink,
    stores: ReadonlyMap<string, unknown> = new Map(),
    onDrop?: (reason: string) => void,
    onLate?: (store: string) => void,
    /** The wall clock, set before the processors' init (which may schedule wall-clock punctuators). */
    systemTimeMs: () => number = Date.now,
    /** The task's record cache: the stores marked `cached` are put behind it (state/record-cache.ts). */
    recordCache?: TaskRecordCache,
  ) {
    this.recordCache = recordCache;
    this.systemTimeMs = systemTimeMs;
    this.onDrop = onDrop;
    this.onLate = onLate;
    this.subTopology = subTopology;
    this.partition = partition;
    this.applicationId = applicationId;
    this.sink = sink;
    this.stores = recordCache ? withRecordCache(stores, subTopology, applicationId, recordCache) : stores;
    this.id = taskId(subTopology.id, partition);
    const byName = new Map(subTopology.nodes.map((n) => [n.name, n]));
    const built = new Map<string, Forward>();
    // Children are built before parents so each forward function can call its children directly.
    const build = (node: TopologyNode): Forward => {
      const done = built.get(node.name);
      if (done) return done;
      let forward: Forward;
      if (node.kind === "sink") {
        forward = this.sinkForward(node.name, node.topic, node.keySerde, node.valueSerde);
      } else {
        const children = node.children.map((c) => build(byName.get(c)!));
        const toChildren = fanOut(children);
        if (node.kind === "source") {
          forward = toChildren;
        } else {
          const processor = node.supplier();
          const byChild = new Map(node.children.map((c, i) => [c, children[i]!]));
          processor.init?.(processorContext(this, node, processor, toChildren, byChild));
          this.processors.push(processor);
          if (isAsyncWork(processor)) this.asyncWork.push(processor);
          if (isStateResetAware(processor)) this.stateResetAware.push(processor);
          const name = node.name;
          forward = (record) => {
            const previous = this.currentNode;
            this.currentNode = name;
            processor.process(record);
            this.currentNode = previous;
          };
        }
      }
      built.set(node.name, forward);
      return forward;
    };
    for (const node of subTopology.nodes) {
      if (node.kind !== "source") continue;
      const forward = build(node);
      for (const topic of node.topics) {
        this.sources.set(topic, this.sourceForward(node, forward));
        this.sourceNodes.set(topic, node);
      }
    }
  }

  /** Runs one input record through the sub-topology. Throws a WeirError naming the record's origin. */
  process(topic: string, message: BatchMessage): void {
    const source = this.sources.get(topic);
    if (!source) throw new Error(`task ${this.id} has no source for topic ${topic}`);
    this.current = { topic, partition: this.partition, offset: message.offset };
    try {
      source(message as unknown as StreamRecord<unknown, unknown>);
      if (this.time.inUse) {
        // Timers and punctuators run without a current record (as in Kafka Streams); errors still name it.
        this.trigger = this.current;
        this.current = undefined;
        this.time.advanceStreamTime(this.streamTimeMs);
      }
    } finally {
      this.current = undefined;
      this.trigger = undefined;
    }
  }

  close(): void {
    for (const p of this.processors) p.close?.();
  }

  /** Fires processing-time timers and wall-clock punctuators due at `nowMs`; returns how many fired. */
  punctuateWallClock(nowMs: number): number {
    if (!this.time.inUse) return 0;
    return this.time.advanceWallClock(nowMs);
  }

  /** The state behind the timers changed (rollback, restore); the record cache forgets its entries. */
  stateReset(): void {
    this.time.forgetEarliest();
    this.recordCache?.clear();
    for (const p of this.stateResetAware) p.stateReset();
  }

  /**
   * The record cache's dirty entries go to their stores and downstream (docs/architecture.md, "The record
   * cache"): called before the stores' flush at each commit, so that what they forward is in the same one.
   */
  flushRecordCache(): void {
    const cache = this.recordCache;
    if (cache && cache.dirtyCount() > 0) this.runAs("(record cache)", "flushing the record cache", () => cache.flush());
  }

  /** True when the topology has async work (mapValuesAsync): the runtime then waits for it. */
  get hasAsyncWork(): boolean {
    return this.asyncWork.length > 0;
  }

  /** True while an async processor takes no more records. */
  saturated(): boolean {
    for (const w of this.asyncWork) if (w.saturated()) return true;
    return false;
  }

  /** Waits until some async call settled; throws the error of work that failed after an await. */
  async progress(): Promise<void> {
    const saturated = this.asyncWork.filter((w) => w.saturated());
    if (saturated.length > 0) await Promise.race(saturated.map((w) => w.progress()));
    this.throwDetachedFailure();
  }

  /** Waits until no async call is in flight and every result was forwarded; throws the first error among them. */
  async settle(): Promise<void> {
    for (const w of this.asyncWork) await w.drain();
    this.throwDetachedFailure();
  }

  throwDetachedFailure(): void {
    if (this.detachedFailure) throw this.detachedFailure;
  }

  /**
   * The event time the record's source will give it, to order a multi-input task's records (RecordQueues)
   * before they are processed. A record its serdes or extractor fail on keeps its Kafka timestamp here:
   * the failure is met, and handled, when it is processed.
   */
  eventTimeOf(topic: string, message: BatchMessage): number {
    const timestamp = Number(message.timestamp);
    const node = this.sourceNodes.get(topic);
    if (!node?.timestampExtractor) return timestamp;
    try {
      const key = message.key === null ? null : node.keySerde.deserialize(message.key, topic);
      const value = message.value === null ? null : node.valueSerde.deserialize(message.value, topic);
      const headers = message.headers ?? {};
      return node.timestampExtractor({ topic, partition: this.partition, offset: message.offset, key, value, timestamp, headers }, this.partitionTimes.get(topic) ?? -1);
    } catch {
      return timestamp;
    }
  }

  private origin(): string {
    const c = this.current;
    return c ? `${c.topic}-${c.partition}@${c.offset}` : "(no input record)";
  }

  private sourceForward(node: SourceNode, next: Forward): Forward {
    const { name, keySerde, valueSerde, timestampExtractor } = node;
    const onInvalid = node.onInvalidTimestamp ?? "fail";
    // The source receives the raw client message and builds the typed record once.
    return (raw) => {
      const message = raw as unknown as BatchMessage;
      const topic = this.current!.topic;
      let key: unknown;
      let value: unknown;
      try {
        key = message.key === null ? null : keySerde.deserialize(message.key, topic);
        value = message.value === null ? null : valueSerde.deserialize(message.value, topic);
      } catch (err) {
        throw new RecordError("deserialization", name, `source ${name} could not deserialize record ${this.origin()}: ${(err as Error).message}`, err);
      }
      const headers = message.headers ?? {};
      let timestamp = Number(message.timestamp);
      if (timestampExtractor) {
        const partitionTime = this.partitionTimes.get(topic) ?? -1;
        try {
          timestamp = timestampExtractor({ topic, partition: this.partition, offset: message.offset, key, value, timestamp, headers }, partitionTime);
        } catch (err) {
          throw new RecordError("processing", name, `the timestamp extractor of source ${name} failed on record ${this.origin()}: ${(err as Error).message}`, err);
        }
      }
      if (!(timestamp >= 0)) {
        if (onInvalid === "fail") {
          throw new WeirError(
            "WEIR_INVALID_TIMESTAMP",
            `source ${name}: record ${this.origin()} has event time ${timestamp}; a timestamp must be ≥ 0 (fix the producer or the extractor, or set onInvalidTimestamp: "skip" on the source)`,
          );
        }
        this.drop("invalid timestamp");
        return;
      }
      if (timestamp > (this.partitionTimes.get(topic) ?? -1)) this.partitionTimes.set(topic, timestamp);
      const record: StreamRecord<unknown, unknown> = { key, value, timestamp, headers };
      // Stream time advances before the record is processed, as in Kafka Streams: the record that
      // moves it past a window's end + grace is the one that closes that window.
      if (timestamp > this.streamTimeMs) this.streamTimeMs = timestamp;
      try {
        next(record);
      } catch (err) {
        // A record error already classified, or a state file that refuses writes: no handler may skip those.
        const node = this.currentNode || name;
        // A handler may skip the record and go on: the next one must not be blamed on this node.
        this.currentNode = "";
        if (err instanceof WeirError || err instanceof StateError) throw err;
        throw new RecordError("processing", node, `processor ${node} failed on record ${this.origin()}: ${(err as Error).message}`, err);
      }
    };
  }

  private sinkForward(name: string, to: string | TopicChooser<unknown, unknown>, keySerde: Serde<unknown>, valueSerde: Serde<unknown>): Forward {
    const chooser = typeof to === "string" ? undefined : to;
    return (record) => {
      const previous = this.currentNode;
      this.currentNode = name;
      let topic: string;
      if (chooser) {
        // The chooser is user code like a processor's: its error is a processing error (the source names it).
        const c = this.current;
        topic = chooser(record.key, record.value, { timestamp: record.timestamp, headers: record.headers, topic: c?.topic, partition: c?.partition, offset: c?.offset });
        if (typeof topic !== "string" || topic.length === 0) throw new Error(`the topic chooser of sink ${name} returned ${JSON.stringify(topic)}, not a topic name`);
        this.chosenTopics.add(topic);
      } else {
        topic = to as string;
      }
      try {
        this.sink.collect({
          topic,
          key: record.key === null || record.key === undefined ? null : keySerde.serialize(record.key, topic),
          value: record.value === null || record.value === undefined ? null : valueSerde.serialize(record.value, topic),
          timestamp: record.timestamp,
          headers: record.headers,
        });
      } catch (err) {
        const error = new RecordError("production", name, `sink ${name} could not produce an output of record ${this.origin()} to topic ${topic}: ${(err as Error).message}`, err);
        if (!this.sink.productionFailed) throw error;
        this.sink.productionFailed(error);
      } finally {
        this.currentNode = previous;
      }
    };
  }

  /** The input record being processed, if any (a processor's recordMetadata()). */
  currentRecord(): RecordMetadata | undefined {
    return this.current;
  }

  drop(reason: string): void {
    this.dropped.set(reason, (this.dropped.get(reason) ?? 0) + 1);
    this.onDrop?.(reason);
  }

  dropLate(store: string): void {
    this.lateDropped.set(store, (this.lateDropped.get(store) ?? 0) + 1);
    this.onLate?.(store);
  }

  /** Runs `call` as `node`; an error names the processor, `what` it was doing, and the input record if any. */
  private runAs(node: string, what: string, call: () => void): void {
    const previous = this.currentNode;
    this.currentNode = node;
    try {
      call();
    } catch (err) {
      if (err instanceof WeirError) throw err;
      const record = this.current ?? this.trigger;
      const after = record ? ` after record ${record.topic}-${record.partition}@${record.offset}` : "";
      throw new WeirError("WEIR_PROCESSING_FAILED", `processor ${this.currentNode || node} failed in ${what}${after}: ${(err as Error).message}`, { cause: err });
    } finally {
      this.currentNode = previous;
    }
  }

  /** Forwards as if the input `metadata` describes were being processed (work resumed after an await). */
  forwardDetached(node: string, forward: Forward, metadata: RecordMetadata | undefined, record: StreamRecord<unknown, unknown>): void {
    if (this.detachedFailure) return;
    const previous = this.current;
    this.current = metadata;
    try {
      this.runAs(node, "forwarding an async result", () => forward(record));
    } catch (err) {
      this.detachedFailure = err as Error;
    } finally {
      this.current = previous;
    }
  }

  failDetached(node: string, metadata: RecordMetadata | undefined, error: unknown): void {
    if (this.detachedFailure) return;
    const origin = metadata ? `${metadata.topic}-${metadata.partition}@${metadata.offset}` : "(no input record)";
    this.detachedFailure = new WeirError("WEIR_PROCESSING_FAILED", `processor ${node} failed on record ${origin}: ${(error as Error)?.message ?? String(error)}`, { cause: error });
  }
}

/** `stores` with each `cached` key-value store of the sub-topology behind `cache`. */
function withRecordCache(stores: ReadonlyMap<string, unknown>, subTopology: SubTopology, applicationId: string, cache: TaskRecordCache): ReadonlyMap<string, unknown> {
  const out = new Map(stores);
  for (const def of subTopology.stores) {
    const store = stores.get(def.name) as KeyValueStore<unknown, unknown> | undefined;
    if (def.cached && def.kind === "keyValue" && store) out.set(def.name, cache.wrap(store, def.keySerde, Topology.changelogTopic(applicationId, def.name)));
  }
  return out;
}

function fanOut(children: readonly Forward[]): Forward {
  if (children.length === 0) return () => {};
  if (children.length === 1) return children[0]!;
  return (record) => {
    for (const child of children) child(record);
  };
}
