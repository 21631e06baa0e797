// What a task's serdes must fetch before a batch can run without I/O: the writer schemas of its sinks, store
// changelogs and timer keys, and the schema of every record's id (schema-registry serdes). Serdes without
// warm-ups add nothing, so for them a batch awaits nothing. See Serde.prepareSerialize / prepareDeserialize.
import type { BatchMessage } from "../kafka/index.ts";
import type { Serde } from "../serdes/serde.ts";
import type { SubTopology } from "../topology/graph.ts";
import { Topology } from "../topology/topology.ts";
import { WeirError } from "./errors.ts";

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

export class SerdeWarmUps {
  private readonly writers: WriterWarmUp[];
  private readonly readers = new Map<string, ReaderWarmUp>();

  /** Throws a WeirError for a sink whose topic is chosen per record and whose serde needs a warm-up. */
  constructor(subTopology: SubTopology, applicationId: string) {
    const writers: WriterWarmUp[] = [];
    for (const node of subTopology.nodes) {
      if (node.kind === "source") {
        const key = node.keySerde.prepareDeserialize ? node.keySerde : undefined;
        const value = node.valueSerde.prepareDeserialize ? node.valueSerde : undefined;
        if (key || value) for (const topic of node.topics) this.readers.set(topic, { key, value });
      } else if (node.kind === "sink") {
        if (typeof node.topic !== "string") {
          // A writer schema is resolved before the batch, for a topic known then: a chosen topic is not.
          if (node.keySerde.prepareSerialize || node.valueSerde.prepareSerialize) {
            throw new WeirError("WEIR_TOPOLOGY_INVALID", `sink ${node.name} picks its topic per record and cannot use a serde that resolves its writer schema first (${node.keySerde.name}, ${node.valueSerde.name}); write to a fixed topic`);
          }
          continue;
        }
        writers.push({ serde: node.keySerde, topic: node.topic }, { serde: node.valueSerde, topic: node.topic });
      } else if (node.timers?.keySerde) {
        writers.push({ serde: node.timers.keySerde, topic: Topology.changelogTopic(applicationId, node.timers.store) });
      }
    }
    for (const store of subTopology.stores) {
      const topic = Topology.changelogTopic(applicationId, store.name);
      writers.push({ serde: store.keySerde, topic }, { serde: store.valueSerde, topic });
    }
    this.writers = writers.filter((w) => w.serde.prepareSerialize !== undefined);
  }

  /**
   * What the serdes must fetch before `messages[from…]` of `topic` can be processed without I/O (writer
   * schemas of the sinks, schemas of the records' ids); empty, the usual case, when everything is cached.
   */
  pending(topic: string, messages: readonly BatchMessage[], from = 0): Promise<void>[] {
    const pending = new Set<Promise<void>>();
    for (const w of this.writers) {
      const p = w.serde.prepareSerialize!(w.topic);
      if (p) pending.add(p);
    }
    const reader = this.readers.get(topic);
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
}
