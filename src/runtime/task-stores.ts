// A task's stores and their SQLite file, as Kafka Streams' ProcessorStateManager: opens each store of the
// sub-topology on the file, knows each store's changelog partition, keeps the checkpoint (the changelog
// offset the file reflects, per store) and moves it with each commit and each restored batch (the replay
// itself: task-restore.ts).
import type { KafkaHeaders, ProducedRecord } from "../kafka/index.ts";
import type { WeirMetrics } from "../metrics/metrics.ts";
import type { ChangelogBatch } from "../state/changelog-batch.ts";
import type { CommittedView } from "../state/committed-reads.ts";
import type { StateFile } from "../state/state-file.ts";
import { changelogPartitionKey, type Checkpoint } from "../state/types.ts";
import type { SubTopology } from "../topology/graph.ts";
import { Topology } from "../topology/topology.ts";
import type { Logger } from "./logger.ts";
import { openStore, storedStreamTimeMs } from "./open-store.ts";
import { TaskRestore } from "./task-restore.ts";

/** Changelog records carry no headers; one frozen object for all of them. */
const NO_HEADERS: KafkaHeaders = Object.freeze({});

export interface TaskStoresOptions {
  readonly task: string;
  readonly subTopology: SubTopology;
  readonly partition: number;
  readonly applicationId: string;
  readonly metrics: WeirMetrics;
  readonly logger: Logger;
}

export class TaskStores {
  /** Each store of the sub-topology, by name. */
  readonly stores = new Map<string, unknown>();
  /** `topic:partition` of each store's changelog partition → its store name. */
  readonly changelogs = new Map<string, string>();
  /** No usable local file (none, or a corrupt one): the stores are rebuilt from the changelogs' beginning. */
  rebuilt = false;
  private readonly state: StateFile;
  private readonly task: string;
  private checkpoint: Checkpoint;
  private readonly restore: TaskRestore;

  constructor(state: StateFile, options: TaskStoresOptions) {
    const { subTopology, partition, applicationId } = options;
    this.state = state;
    this.task = options.task;
    this.checkpoint = state.checkpoint();
    for (const def of subTopology.stores) {
      const topic = Topology.changelogTopic(applicationId, def.name);
      this.stores.set(def.name, openStore(state, def, topic, partition));
      this.changelogs.set(changelogPartitionKey(topic, partition), def.name);
    }
    this.restore = new TaskRestore({ task: options.task, partition, changelogs: this.changelogs, state, metrics: options.metrics, logger: options.logger });
  }

  /**
   * How far the file has got in its changelogs: the checkpoint summed over the changelog partitions (what the
   * member tells the group leader, which measures copies' lags by it; docs/architecture.md, "Warm-up replicas and
   * probing rebalances").
   */
  position(): number {
    let sum = 0;
    for (const key of this.changelogs.keys()) sum += Number(this.checkpoint.get(key) ?? "0");
    return sum;
  }

  /** Store writes ever begun (StateFile.writeCount). */
  get writeCount(): number {
    return this.state.writeCount;
  }

  /** State was written since the last commit. */
  hasWrites(): boolean {
    return this.state.status === "active";
  }

  /** Stream time as the window and session stores hold it (it is not persisted). */
  streamTimeMs(): number {
    return storedStreamTimeMs(this.stores.values());
  }

  /** Why the checkpoint is past the changelogs' `ends` (the file belongs to another history); undefined if not. */
  checkpointBeyond(ends: ReadonlyMap<string, string>): string | undefined {
    return this.restore.checkpointBeyond(this.checkpoint, ends);
  }

  /** The changelog partitions to replay up to `ends`, each with its start offset. */
  beginRestore(ends: ReadonlyMap<string, string>): Map<string, string> {
    return this.restore.begin(this.checkpoint, ends);
  }

  /** Applies a fetched changelog batch with its checkpoint; false when there was nothing to apply. */
  restoreBatch(topic: string, batch: ChangelogBatch, next: bigint): boolean {
    return this.restore.apply(this.checkpoint, topic, batch, next);
  }

  /** Fetching of a changelog partition got past `lastOffset`; true once every store is restored. */
  restoredUpTo(topic: string, lastOffset: string): boolean {
    return this.restore.upTo(topic, lastOffset, this.rebuilt);
  }

  /** Flushes the write cache: its changelog records, to go out in the commit. */
  flush(): ProducedRecord[] {
    const records = this.state.flush();
    const timestamp = Date.now();
    const out = new Array<ProducedRecord>(records.length);
    for (let i = 0; i < records.length; i++) {
      const c = records[i]!;
      out[i] = { topic: c.topic, partition: c.partition, key: c.key, value: c.value, timestamp, headers: NO_HEADERS };
    }
    return out;
  }

  /** Kafka committed: `ends` gives, per changelog partition written, the offset after its last record. */
  commit(ends: ReadonlyMap<string, string>): void {
    for (const key of this.changelogs.keys()) {
      const end = ends.get(key);
      if (end !== undefined) this.checkpoint.set(key, end);
    }
    this.state.commit(this.checkpoint);
  }

  /** Drops the writes since the last commit, and the checkpoint moves back with them. */
  rollback(): void {
    this.state.rollback();
    this.checkpoint = this.state.checkpoint();
  }

  readCommitted<T>(read: (view: CommittedView) => T): Promise<T> {
    return this.state.readCommitted(read);
  }

  /** Entries of each store and the file's size, for the metrics. */
  sizes(): { task: string; store: string; entries: number; bytes: number }[] {
    const bytes = this.state.sizeBytes();
    return [...this.stores].map(([store, s]) => ({ task: this.task, store, entries: (s as { approximateNumEntries(): number }).approximateNumEntries(), bytes }));
  }

  close(): void {
    this.state.close();
  }
}
