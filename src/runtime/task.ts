// A task: one sub-topology on one partition. It owns that partition's processor instances, runs each
// input record through them synchronously, and hands serialized outputs to the task's record sink.
import type { BatchMessage, ProducedRecord } from "../kafka/index.ts";
import type { Processor, ProcessorContext } from "../processor/processor.ts";
import type { RecordMetadata, StreamRecord } from "../processor/record.ts";
import type { Serde } from "../serdes/serde.ts";
import type { SubTopology, TopologyNode } from "../topology/graph.ts";
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
  /** Records dropped as late (beyond their window's grace), by store. */
  readonly lateDropped = new Map<string, number>();
  /**
   * Stream time: the largest timestamp of the records this task has processed, -1 before any. Kept in
   * memory; the owner sets it when the task opens (from its stores) and after a rollback.
   */
  streamTimeMs = -1;

  private readonly onDrop: ((reason: string) => void) | undefined;
  private readonly onLate: ((store: string) => void) | undefined;

  /** `stores` holds this task's instance of every store of the sub-topology, by name. */
  constructor(
    subTopology: SubTopology,
    partition: number,
    applicationId: string,
    sink: RecordSink,
    stores: ReadonlyMap<string, unknown> = new Map(),
    onDrop?: (reason: string) => void,
    onLate?: (store: string) => void,
  ) {
    this.onDrop = onDrop;
    this.onLate = onLate;
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
      for (const topic of node.topics) this.sources.set(topic, this.sourceForward(node.name, node.keySerde, node.valueSerde, forward));
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

  private sourceForward(name: string, keySerde: Serde<unknown>, valueSerde: Serde<unknown>, next: Forward): Forward {
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
      const record: StreamRecord<unknown, unknown> = {
        key,
        value,
        timestamp: Number(message.timestamp),
        headers: (message.headers ?? {}),
      };
      // Stream time advances before the record is processed, as in Kafka Streams: the record that
      // moves it past a window's end + grace is the one that closes that window.
      if (record.timestamp > this.streamTimeMs) this.streamTimeMs = record.timestamp;
      try {
        next(record);
      } catch (err) {
        if (err instanceof WeirError) throw err;
        throw new WeirError("WEIR_PROCESSING_FAILED", `processor ${this.currentNode || name} failed on record ${this.origin()}: ${(err as Error).message}`, { cause: err });
      }
    };
  }

  private sinkForward(
    name: string,
    topic: string,
    keySerde: Serde<unknown>,
    valueSerde: Serde<unknown>,
  ): Forward {
    return (record) => {
      const previous = this.currentNode;
      this.currentNode = name;
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

  private contextFor(node: string, declared: readonly string[], forward: Forward, byChild: ReadonlyMap<string, Forward>): ProcessorContext<unknown, unknown> {
    return {
      taskId: this.id,
      applicationId: this.applicationId,
      recordMetadata: () => this.current,
      forward: (record, childName?: string) => {
        if (childName === undefined) return forward(record);
        const child = byChild.get(childName);
        if (!child) throw new Error(`processor ${node} has no child ${childName} (it has: ${[...byChild.keys()].join(", ") || "none"})`);
        child(record);
      },
      currentStreamTimeMs: () => this.streamTimeMs,
      getStateStore: <S>(name: string): S => {
        const store = declared.includes(name) ? this.stores.get(name) : undefined;
        if (store === undefined) throw new Error(`processor ${node} did not declare store ${name} (it has: ${declared.join(", ") || "none"})`);
        return store as S;
      },
      dropRecord: (reason: string) => {
        this.dropped.set(reason, (this.dropped.get(reason) ?? 0) + 1);
        this.onDrop?.(reason);
      },
      dropLateRecord: (store: string) => {
        this.lateDropped.set(store, (this.lateDropped.get(store) ?? 0) + 1);
        this.onLate?.(store);
      },
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
