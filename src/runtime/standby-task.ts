// One standby task (Kafka Streams' StandbyTask): a copy of an active task's stores on another instance, kept by
// applying the task's changelog records to the same SQLite file an active task of it would open here, with the
// checkpoint in the same transaction. It never processes, produces or commits offsets: StandbyTasks feeds it.
import type { WeirMetrics } from "../metrics/metrics.ts";
import type { ChangelogBatch } from "../state/changelog-batch.ts";
import type { CommittedView } from "../state/committed-reads.ts";
import { StateFile } from "../state/state-file.ts";
import { changelogPartitionKey, type Checkpoint } from "../state/types.ts";
import type { SubTopology } from "../topology/graph.ts";
import { Topology } from "../topology/topology.ts";
import { openStore } from "./open-store.ts";
import { taskId } from "./task-id.ts";

export interface StandbyTaskOptions {
  readonly subTopology: SubTopology;
  readonly partition: number;
  readonly applicationId: string;
  readonly statePath: string;
  readonly cacheMaxBytes: number;
  readonly pageCacheBytes: number;
  readonly metrics: WeirMetrics;
}

export class StandbyTask {
  readonly id: string;
  readonly partition: number;
  readonly statePath: string;
  /** `topic:partition` of each store's changelog partition → its store name. */
  readonly changelogs = new Map<string, string>();
  private readonly state: StateFile;
  private readonly metrics: WeirMetrics;
  /** The committed checkpoint, as in the file: the next changelog offset to apply, per changelog partition. */
  private readonly checkpoint: Checkpoint;
  private closed = false;

  private constructor(options: StandbyTaskOptions, state: StateFile) {
    this.id = taskId(options.subTopology.id, options.partition);
    this.partition = options.partition;
    this.statePath = options.statePath;
    this.state = state;
    this.metrics = options.metrics;
    for (const def of options.subTopology.stores) {
      const topic = Topology.changelogTopic(options.applicationId, def.name);
      openStore(state, def, topic, options.partition);
      this.changelogs.set(changelogPartitionKey(topic, options.partition), def.name);
    }
    this.checkpoint = state.checkpoint();
  }

  /** Opens (or creates) the task's file; WEIR_STATE_LOCKED while an active task of it still holds the file. */
  static open(options: StandbyTaskOptions): StandbyTask {
    const state = StateFile.open(options.statePath, { cacheMaxBytes: options.cacheMaxBytes, pageCacheBytes: options.pageCacheBytes });
    try {
      return new StandbyTask(options, state);
    } catch (err) {
      state.close();
      throw err;
    }
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** The next offset to apply of a changelog partition. */
  position(key: string): string {
    return this.checkpoint.get(key) ?? "0";
  }

  /** Why the checkpoint is past the changelogs' `ends` (the changelog was recreated: another history); undefined if not. */
  checkpointBeyond(ends: ReadonlyMap<string, string>): string | undefined {
    for (const key of this.changelogs.keys()) {
      const from = this.checkpoint.get(key);
      const end = ends.get(key) ?? "0";
      if (from !== undefined && BigInt(from) > BigInt(end)) return `${key} checkpoint ${from} is past the changelog's end ${end}`;
    }
    return undefined;
  }

  /**
   * Applies changelog records (read read_committed: only committed ones) read up to `next` (the offset after the
   * last of them) and that checkpoint, in one SQLite transaction. Returns how many were applied.
   */
  apply(topic: string, batch: ChangelogBatch, next: bigint): number {
    if (this.closed) return 0;
    const key = changelogPartitionKey(topic, this.partition);
    const store = this.changelogs.get(key);
    if (store === undefined) return 0;
    if (next <= BigInt(this.position(key))) return 0;
    // The file first: the checkpoint kept in memory must never claim records the file does not hold.
    this.state.restore(store, batch, new Map([[key, next.toString()]]));
    this.checkpoint.set(key, next.toString());
    this.metrics.standbyRecordsApplied(store, batch.length);
    return batch.length;
  }

  /**
   * Fetching read_committed got to `end` (transaction markers included): every transaction below it is resolved
   * and its committed records applied, so the checkpoint may claim `end` (a promoted task then restores from it).
   */
  advanceTo(key: string, end: string): void {
    const store = this.changelogs.get(key);
    if (this.closed || store === undefined || BigInt(end) <= BigInt(this.position(key))) return;
    this.state.restore(store, [], new Map([[key, end]]));
    this.checkpoint.set(key, end);
  }

  /** Notes each store's lag behind the changelogs' `ends` in the metrics; returns the total. */
  noteLag(ends: ReadonlyMap<string, string>): number {
    let total = 0;
    for (const [key, store] of this.changelogs) {
      const lag = Math.max(0, Number(BigInt(ends.get(key) ?? "0") - BigInt(this.position(key))));
      this.metrics.standbyLagRecords(this.id, store, lag);
      total += lag;
    }
    return total;
  }

  /** Runs `read` on the copy's committed state (stale reads); see StateFile.readCommitted. */
  readCommitted<T>(read: (view: CommittedView) => T): Promise<T> {
    return this.state.readCommitted(read);
  }

  /** Closes the file (kept on disk: a promotion, or a later standby, starts from it). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const store of this.changelogs.values()) this.metrics.standbyLagRecords(this.id, store, undefined);
    this.state.close();
  }
}
