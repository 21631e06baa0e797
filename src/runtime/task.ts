// A task: one sub-topology on one partition. It owns that partition's processor instances, runs each
// input record through them synchronously, and hands serialized outputs to the task's record sink.
import type { BatchMessage, ProducedRecord } from "../kafka/index.ts";
import type { Processor, ProcessorContext } from "../processor/processor.ts";
import type { RecordMetadata, StreamRecord } from "../processor/record.ts";
import type { Serde } from "../serdes/serde.ts";
import type { SourceNode, SubTopology, TopicChooser, TopologyNode } from "../topology/graph.ts";
import { WeirError } from "./errors.ts";

export interface RecordSink {
  collect(record: ProducedRecord): void;
}

type Forward = (record: StreamRecord<unknown, unknown>) => void;

export function taskId(subTopology: number, partition: number): string {
  return `${subTopology}_${partition}`;
}

export class Task {
  readonly id: string;
  private readonly sources = new Map<string, Forward>();
  private readonly processors: Processor<unknown, unknown, unknown, unknown>[] = [];
  private current: RecordMetadata | undefined;
  /** The node running now, so an error names where it happened. */
  private currentNode = "";

  readonly subTopology: SubTopology;
  readonly partition: number;
  readonly applicationId: string;
  private readonly sink: RecordSink;
  private readonly stores: ReadonlyMap<string, unknown>;
  /** Records processors dropped on purpose (e.g. a null key in an aggregation), by reason. */
  readonly dropped = new Map<string, number>();
  /** Topics a topic chooser picked: the runtime checks they exist before committing records to them. */
  readonly chosenTopics = new Set<string>();
  /** Per input topic, the largest event time extracted so far (Kafka Streams' partition time). */
  private readonly partitionTimes = new Map<string, number>();

  private readonly onDrop: ((reason: string) => void) | undefined;

  /** `stores` holds this task's instance of every store of the sub-topology, by name. */
  constructor(
    subTopology: SubTopology,
    partition: number,
    applicationId: string,
    sink: RecordSink,
    stores: ReadonlyMap<string, unknown> = new Map(),
    onDrop?: (reason: string) => void,
  ) {
    this.onDrop = onDrop;
    this.subTopology = subTopology;
    this.partition = partition;
    this.applicationId = applicationId;
    this.sink = sink;
    this.stores = stores;
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
          processor.init?.(this.contextFor(node.name, node.stores, toChildren, byChild));
          this.processors.push(processor);
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
      for (const topic of node.topics) this.sources.set(topic, this.sourceForward(node, forward));
    }
  }

  /** Runs one input record through the sub-topology. Throws a WeirError naming the record's origin. */
  process(topic: string, message: BatchMessage): void {
    const source = this.sources.get(topic);
    if (!source) throw new Error(`task ${this.id} has no source for topic ${topic}`);
    this.current = { topic, partition: this.partition, offset: message.offset };
    try {
      source(message as unknown as StreamRecord<unknown, unknown>);
    } finally {
      this.current = undefined;
    }
  }

  close(): void {
    for (const p of this.processors) p.close?.();
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
        throw new WeirError("WEIR_DESERIALIZATION_FAILED", `source ${name} could not deserialize record ${this.origin()}: ${(err as Error).message}`, { cause: err });
      }
      const headers = message.headers ?? {};
      let timestamp = Number(message.timestamp);
      if (timestampExtractor) {
        const partitionTime = this.partitionTimes.get(topic) ?? -1;
        try {
          timestamp = timestampExtractor({ topic, partition: this.partition, offset: message.offset, key, value, timestamp, headers }, partitionTime);
        } catch (err) {
          throw new WeirError("WEIR_PROCESSING_FAILED", `the timestamp extractor of source ${name} failed on record ${this.origin()}: ${(err as Error).message}`, { cause: err });
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
      try {
        next(record);
      } catch (err) {
        if (err instanceof WeirError) throw err;
        throw new WeirError("WEIR_PROCESSING_FAILED", `processor ${this.currentNode || name} failed on record ${this.origin()}: ${(err as Error).message}`, { cause: err });
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
        const c = this.current;
        topic = chooser(record.key, record.value, { timestamp: record.timestamp, headers: record.headers, topic: c?.topic, partition: c?.partition, offset: c?.offset });
        if (typeof topic !== "string" || topic.length === 0) throw new Error(`the topic chooser of sink ${name} returned ${JSON.stringify(topic)}, not a topic name`);
        this.chosenTopics.add(topic);
      } else {
        topic = to as string;
      }
      this.sink.collect({
        topic,
        key: record.key === null || record.key === undefined ? null : keySerde.serialize(record.key, topic),
        value: record.value === null || record.value === undefined ? null : valueSerde.serialize(record.value, topic),
        timestamp: record.timestamp,
        headers: record.headers,
      });
      this.currentNode = previous;
    };
  }

  private drop(reason: string): void {
    this.dropped.set(reason, (this.dropped.get(reason) ?? 0) + 1);
    this.onDrop?.(reason);
  }

  private contextFor(node: string, declared: readonly string[], toChildren: Forward, byChild: ReadonlyMap<string, Forward>): ProcessorContext<unknown, unknown> {
    return {
      taskId: this.id,
      applicationId: this.applicationId,
      recordMetadata: () => this.current,
      forward: (record, childName) => {
        if (childName === undefined) return toChildren(record);
        const child = byChild.get(childName);
        if (!child) throw new Error(`processor ${node} has no child ${childName} (it has: ${[...byChild.keys()].join(", ") || "none"})`);
        child(record);
      },
      getStateStore: <S>(name: string): S => {
        const store = declared.includes(name) ? this.stores.get(name) : undefined;
        if (store === undefined) throw new Error(`processor ${node} did not declare store ${name} (it has: ${declared.join(", ") || "none"})`);
        return store as S;
      },
      dropRecord: (reason: string) => this.drop(reason),
    };
  }
}

function fanOut(children: readonly Forward[]): Forward {
  if (children.length === 0) return () => {};
  if (children.length === 1) return children[0]!;
  return (record) => {
    for (const child of children) child(record);
  };
}
