// A task: one sub-topology on one partition. It owns that partition's processor instances, runs each
// input record through them synchronously, and hands serialized outputs to the task's record sink.
import type { BatchMessage, ProducedRecord } from "../kafka/index.ts";
import type { Processor, ProcessorContext } from "../processor/processor.ts";
import type { RecordMetadata, StreamRecord } from "../processor/record.ts";
import type { Serde } from "../serdes/serde.ts";
import type { SubTopology, TopologyNode } from "../topology/graph.ts";
import { StateError } from "../state/errors.ts";
import { Topology } from "../topology/topology.ts";
import { RecordError } from "./error-handlers.ts";
import { WeirError } from "./errors.ts";

export interface RecordSink {
  /** Takes a serialized output; throws when the output cannot be produced (e.g. larger than its topic accepts). */
  collect(record: ProducedRecord): void;
  /**
   * A sink could not produce an output of the current input record. Returning drops that output and goes
   * on; throwing fails the input record. Without it, the error fails the input record.
   */
  productionFailed?(error: RecordError): void;
}

/** A serde that must warm up before writing to `topic` (a sink's or a store's changelog). */
interface WriterWarmUp {
  readonly serde: Serde<unknown>;
  readonly topic: string;
}

/** The serdes of a source topic that must warm up before reading (only those that have a warm-up). */
interface ReaderWarmUp {
  readonly key: Serde<unknown> | undefined;
  readonly value: Serde<unknown> | undefined;
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

  private readonly onDrop: ((reason: string) => void) | undefined;
  private readonly writerWarmUps: WriterWarmUp[];
  private readonly readerWarmUps = new Map<string, ReaderWarmUp>();

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
          processor.init?.(this.contextFor(node.name, node.stores, toChildren));
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
      const key = node.keySerde.prepareDeserialize ? node.keySerde : undefined;
      const value = node.valueSerde.prepareDeserialize ? node.valueSerde : undefined;
      if (key || value) for (const topic of node.topics) this.readerWarmUps.set(topic, { key, value });
    }
    const writers: WriterWarmUp[] = [];
    for (const node of subTopology.nodes) {
      if (node.kind === "sink") writers.push({ serde: node.keySerde, topic: node.topic }, { serde: node.valueSerde, topic: node.topic });
    }
    for (const store of subTopology.stores) {
      const topic = Topology.changelogTopic(applicationId, store.name);
      writers.push({ serde: store.keySerde, topic }, { serde: store.valueSerde, topic });
    }
    this.writerWarmUps = writers.filter((w) => w.serde.prepareSerialize !== undefined);
  }

  /**
   * What the serdes must fetch before `messages[from…]` of `topic` can be processed without I/O (writer
   * schemas of the sinks, schemas of the records' ids); empty, the usual case, when everything is cached.
   */
  warmUps(topic: string, messages: readonly BatchMessage[], from = 0): Promise<void>[] {
    const pending = new Set<Promise<void>>();
    for (const w of this.writerWarmUps) {
      const p = w.serde.prepareSerialize!(w.topic);
      if (p) pending.add(p);
    }
    const reader = this.readerWarmUps.get(topic);
    if (reader) {
      for (let i = from; i < messages.length; i++) {
        const m = messages[i]!;
        if (reader.key && m.key !== null) {
          const p = reader.key.prepareDeserialize!(m.key, topic);
          if (p) pending.add(p);
        }
        if (reader.value && m.value !== null) {
          const p = reader.value.prepareDeserialize!(m.value, topic);
          if (p) pending.add(p);
        }
      }
    }
    return [...pending];
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
        throw new RecordError("deserialization", name, `source ${name} could not deserialize record ${this.origin()}: ${(err as Error).message}`, err);
      }
      const record: StreamRecord<unknown, unknown> = {
        key,
        value,
        timestamp: Number(message.timestamp),
        headers: (message.headers ?? {}),
      };
      try {
        next(record);
      } catch (err) {
        // A record error already classified, or a state file that refuses writes: no handler may skip those.
        if (err instanceof WeirError || err instanceof StateError) throw err;
        const node = this.currentNode || name;
        throw new RecordError("processing", node, `processor ${node} failed on record ${this.origin()}: ${(err as Error).message}`, err);
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

  private contextFor(node: string, declared: readonly string[], forward: Forward): ProcessorContext<unknown, unknown> {
    return {
      taskId: this.id,
      applicationId: this.applicationId,
      recordMetadata: () => this.current,
      forward,
      getStateStore: <S>(name: string): S => {
        const store = declared.includes(name) ? this.stores.get(name) : undefined;
        if (store === undefined) throw new Error(`processor ${node} did not declare store ${name} (it has: ${declared.join(", ") || "none"})`);
        return store as S;
      },
      dropRecord: (reason: string) => {
        this.dropped.set(reason, (this.dropped.get(reason) ?? 0) + 1);
        this.onDrop?.(reason);
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
