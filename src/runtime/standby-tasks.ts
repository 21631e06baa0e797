// The instance's standby tasks (docs/architecture.md, "Standby replicas"): opens those the group leader's
// instance map gives this process, keeps them applying their changelogs in rounds through the client's
// partition reader (read_committed, without the group), and closes them when revoked or promoted. Their files
// stay on disk: a task made active here opens the same file and restores only what the standby had not applied.
import { randomUUID } from "node:crypto";
import { stateFilePath } from "../state/state-file.ts";
import { setTimeout as sleep } from "node:timers/promises";
import type { ChangelogRecords, KafkaClient, PartitionRange } from "../kafka/index.ts";
import type { WeirMetrics } from "../metrics/metrics.ts";
import type { CommittedView } from "../state/committed-reads.ts";
import { changelogPartitionKey, topicOfPartitionKey } from "../state/types.ts";
import type { Topology } from "../topology/topology.ts";
import type { WeirConfig } from "./config.ts";
import { parseTaskId, type MemberInfo } from "./group-planner.ts";
import type { InstanceMap } from "./instance-map.ts";
import type { ChangelogReaderPort, TaskAdminPort } from "./kafka-ports.ts";
import type { Logger } from "./logger.ts";
import { StandbyTask } from "./standby-task.ts";
import { changelogFetchMaxBytes, PendingChangelog } from "./pending-changelog.ts";
import { deleteStateFile } from "./task-restorer.ts";

/** The pause between two rounds of reading the standbys' changelogs. */
export const standbyRoundIntervalMs = 250;
/** Without high watermarks (kafkajs: last stable offsets), a checkpoint past the end this many rounds in a row means another history. */
const beyondRoundsBeforeWipe = 20;

export interface StandbySnapshot {
  readonly id: string;
  readonly standby: true;
  /** Changelog end − checkpoint, summed over the task's stores, at the last round. */
  readonly lag: number | null;
  /** Its checkpoint: the next changelog offset to apply, per changelog partition (`topic:partition`). */
  readonly checkpoint: Record<string, string>;
  /** A warm-up replica: the group leader placed it to move the task here once it has caught up. */
  readonly warmup: boolean;
}

/**
 * A copy of a task's stores that may answer a stale read (docs/architecture.md, "Interactive queries during
 * failover"): its committed state, and how many changelog records it was behind the changelog's end when last measured.
 */
export interface StaleCopy {
  readonly lag: number;
  readCommitted<T>(read: (view: CommittedView) => T): Promise<T>;
}

export interface StandbyTasksOptions {
  readonly topology: Topology;
  readonly config: WeirConfig;
  readonly logger: Logger;
  readonly metrics: WeirMetrics;
  readonly admin: Pick<TaskAdminPort, "endOffsets" | "highWatermarks">;
  readonly reader: ChangelogReaderPort;
  /** True while an active task of it is open here: its file is the active task's. */
  readonly isActive: (id: string) => boolean;
  readonly intervalMs?: number;
  /** A test hook (restore-hold.ts): while it answers true, no round reads. */
  readonly held?: (() => boolean) | undefined;
}

/** One standby's changelog partition being read in a round: records read, not yet applied. */
interface PendingApply {
  readonly task: StandbyTask;
  readonly topic: string;
  readonly records: PendingChangelog;
}

export class StandbyTasks {
  /**
   * This instance's id in the group's standby assignment (the instance map names processes by it): its
   * groupInstanceId when static, so that a restart the group does not rebalance for keeps its standbys; else one per run.
   */
  readonly processId: string;
  private readonly options: StandbyTasksOptions;
  /** The standbys the last instance map gave this process. */
  private wanted: ReadonlySet<string> = new Set();
  /** Which of them are warm-up replicas. */
  private warmups: ReadonlySet<string> = new Set();
  private readonly tasks = new Map<string, StandbyTask>();
  private readonly lags = new Map<string, number>();
  /** The standbys that have applied their changelogs up to the end at least once since they opened. */
  private readonly caughtUp = new Set<string>();
  /** Tasks made active here from a caught-up standby → that standby's last lag (their file is its copy). */
  private readonly promoted = new Map<string, number>();
  private readonly beyondRounds = new Map<string, number>();
  private round: AbortController | undefined;
  private wake: AbortController = new AbortController();
  private stopped = false;
  private loop: Promise<void> | undefined;
  private failingSince: number | undefined;
  private roundWaiters: (() => void)[] = [];

  constructor(options: StandbyTasksOptions) {
    this.options = options;
    this.processId = options.config.groupInstanceId ?? randomUUID();
  }

  /**
   * The app's standbys, reading through a partition reader of their own (idle until a standby is assigned). Always
   * made: warm-up replicas are standbys too, whatever numStandbyReplicas.
   */
  static create(options: Omit<StandbyTasksOptions, "reader"> & { readonly kafka: KafkaClient }): StandbyTasks {
    const { config } = options;
    const readerOptions = { groupPrefix: `${config.applicationId}-standby`, maxBytesPerPartition: config.maxBytesPerPartition, maxBytes: changelogFetchMaxBytes, maxWaitTimeMs: config.fetchMaxWaitMs };
    return new StandbyTasks({ ...options, reader: options.kafka.partitionReader(readerOptions, options.logger) });
  }

  /** What the member's subscription tells the group leader about its standbys. */
  memberInfo(): Pick<MemberInfo, "processId" | "standbys" | "positions"> {
    return { processId: this.processId, standbys: () => this.ids(), positions: () => this.positions() };
  }

  /** Per standby, its checkpoint summed over its changelog partitions (the leader measures its lag by it). */
  positions(): Record<string, number> {
    const positions: Record<string, number> = {};
    for (const task of this.tasks.values()) {
      let sum = 0;
      for (const key of task.changelogs.keys()) sum += Number(task.position(key));
      positions[task.id] = sum;
    }
    return positions;
  }

  /** The group's instance map was read back after an assignment: its standbys for this process (none without a map). */
  assignFrom(map: InstanceMap | undefined): void {
    if (!map) return;
    try {
      this.assign(map.standbysOf(this.processId), map.warmupsOf(this.processId));
    } catch (err) {
      // A standby that fails to close is logged; the active tasks are not affected.
      this.options.logger.warn({ err }, "could not update the standby tasks");
    }
  }

  /** The standbys the group gives this process now: others close, new ones open at the next round. */
  assign(ids: readonly string[], warmups: readonly string[] = []): void {
    if (this.stopped) return;
    const stateful = new Set(this.options.topology.subTopologies.filter((s) => s.stores.length > 0).map((s) => s.id));
    this.wanted = new Set(ids.filter((id) => stateful.has(parseTaskId(id).subTopology)));
    for (const id of this.wanted) this.promoted.delete(id);
    this.warmups = new Set(warmups.filter((id) => this.wanted.has(id)));
    for (const id of [...this.tasks.keys()]) if (!this.wanted.has(id)) this.closeTask(id, "standby closed: no longer assigned");
    if (this.wanted.size > 0 || this.tasks.size > 0) this.options.logger.info({ standbys: [...this.wanted], warmups: [...this.warmups] }, "standby tasks assigned");
    this.loop ??= this.run();
    this.wake.abort();
  }

  /**
   * The task becomes active here (Kafka Streams' standby → active): its standby closes now, before the active
   * task opens the same file, and stays closed while the task is active.
   */
  release(id: string): void {
    const lag = this.lags.get(id);
    if (this.caughtUp.has(id) && lag !== undefined) this.promoted.set(id, lag);
    this.closeTask(id, "standby closed: the task is active here now");
  }

  /**
   * The standby of the task, if this process keeps one that has caught up once (applied its changelogs up to
   * their end at least once since it opened; Kafka Streams serves any standby, Weir not one still catching up).
   */
  staleCopy(id: string): StaleCopy | undefined {
    const task = this.tasks.get(id);
    const lag = this.lags.get(id);
    if (!task || task.isClosed || !this.caughtUp.has(id) || lag === undefined) return undefined;
    return { lag, readCommitted: (read) => task.readCommitted(read) };
  }

  /**
   * The lag its standby had when the task was made active here (StandbyTasks.release), if that standby was caught
   * up: while the active task restores from that copy, a stale read may read it. Undefined otherwise.
   */
  promotedLag(id: string): number | undefined {
    return this.promoted.get(id);
  }

  /** Resolves once the next round of reading has ended (for tests: wait on it, never on time). */
  whenRoundDone(): Promise<void> {
    return new Promise((resolve) => this.roundWaiters.push(resolve));
  }

  /** The tasks this process keeps standbys of (advertised to the group leader). */
  ids(): string[] {
    return [...this.tasks.keys()];
  }

  snapshots(): StandbySnapshot[] {
    return [...this.tasks.values()].map((task) => ({
      id: task.id,
      standby: true as const,
      lag: this.lags.get(task.id) ?? null,
      checkpoint: Object.fromEntries([...task.changelogs.keys()].map((key) => [key, task.position(key)])),
      warmup: this.warmups.has(task.id),
    }));
  }

  /** Stops reading and closes every standby (their files stay). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.round?.abort();
    this.wake.abort();
    await this.loop;
    for (const id of [...this.tasks.keys()]) this.closeTask(id);
    for (const resolve of this.roundWaiters.splice(0)) resolve();
  }

  private closeTask(id: string, message?: string): void {
    const task = this.tasks.get(id);
    if (!task) return;
    this.tasks.delete(id);
    this.lags.delete(id);
    this.caughtUp.delete(id);
    task.close();
    // The round under way reads its partitions: start the next without them.
    this.round?.abort();
    if (message) this.options.logger.info({ task: id }, message);
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      try {
        await this.readOnce();
        this.failingSince = undefined;
      } catch (err) {
        if (this.stopped) return;
        this.failingSince ??= Date.now();
        // A standby is a copy: failing to keep it never stops the app; its active task is unaffected.
        this.options.logger.warn({ err, failingForMs: Date.now() - this.failingSince }, "standby round failed; retrying");
      }
      const waiters = this.roundWaiters;
      this.roundWaiters = [];
      for (const resolve of waiters) resolve();
      if (this.stopped) return;
      if (this.wake.signal.aborted) this.wake = new AbortController();
      await sleep(this.options.intervalMs ?? standbyRoundIntervalMs, undefined, { signal: this.wake.signal }).catch(() => undefined);
    }
  }

  /** Opens the wanted standbys whose file is free, then reads every standby's changelogs up to their ends now. */
  private async readOnce(): Promise<void> {
    this.openWanted();
    if (this.tasks.size === 0 || this.options.held?.()) return;
    const ends = await this.changelogEnds();
    if (this.stopped) return;
    this.wipeMismatched(ends);
    const ranges: PartitionRange[] = [];
    const pending = new Map<string, PendingApply>();
    for (const task of this.tasks.values()) {
      this.noteLag(task, ends);
      for (const key of task.changelogs.keys()) {
        const from = task.position(key);
        const to = ends.get(key) ?? "0";
        if (BigInt(from) >= BigInt(to)) continue;
        const topic = topicOfPartitionKey(key);
        ranges.push({ topic, partition: task.partition, from, to });
        pending.set(key, { task, topic, records: new PendingChangelog() });
      }
    }
    if (ranges.length === 0) return;
    const round = new AbortController();
    this.round = round;
    const current = (task: StandbyTask) => !round.signal.aborted && !task.isClosed && this.tasks.get(task.id) === task;
    const onRecords = (records: ChangelogRecords): void => {
      const p = pending.get(changelogPartitionKey(records.topic, records.partition));
      if (!p || !current(p.task)) return;
      if (p.records.add(records)) this.apply(p);
    };
    const onEnd = (topic: string, partition: number): void => {
      const key = changelogPartitionKey(topic, partition);
      const p = pending.get(key);
      if (!p || !current(p.task)) return;
      this.apply(p);
      p.task.advanceTo(key, ends.get(key)!);
    };
    try {
      await this.options.reader.read(ranges, onRecords, onEnd, round.signal);
    } finally {
      // What was read before an abort or a failure is applied: it is committed, and below the ends.
      for (const p of pending.values()) if (!p.task.isClosed && this.tasks.get(p.task.id) === p.task) this.apply(p);
      if (this.round === round) this.round = undefined;
    }
    for (const task of this.tasks.values()) this.noteLag(task, ends);
  }

  private noteLag(task: StandbyTask, ends: ReadonlyMap<string, string>): void {
    const lag = task.noteLag(ends);
    this.lags.set(task.id, lag);
    if (lag === 0) this.caughtUp.add(task.id);
  }

  private apply(p: PendingApply): void {
    p.records.applyWith((batch, next) => p.task.apply(p.topic, batch, next));
  }

  private openWanted(): void {
    const { config, topology, metrics, logger } = this.options;
    for (const id of this.wanted) {
      if (this.tasks.has(id) || this.options.isActive(id)) continue;
      const ref = parseTaskId(id);
      try {
        const task = StandbyTask.open({
          subTopology: topology.subTopologies[ref.subTopology]!,
          partition: ref.partition,
          applicationId: config.applicationId,
          statePath: stateFilePath(config.stateDir, config.applicationId, id),
          cacheMaxBytes: config.cacheMaxBytes,
          pageCacheBytes: config.statePageCacheBytes,
          metrics,
        });
        // Checked again: the assignment may have made it active while the file opened.
        if (this.options.isActive(id)) {
          task.close();
          continue;
        }
        this.tasks.set(id, task);
        logger.info({ task: id, from: Object.fromEntries([...task.changelogs.keys()].map((k) => [k, task.position(k)])) }, "standby opened");
      } catch (err) {
        // The active task of it that this instance is closing still holds the file: the next round tries again.
        if ((err as { code?: string }).code === "WEIR_STATE_LOCKED") continue;
        throw err;
      }
    }
  }

  /** A checkpoint past its changelog's end: the changelog was recreated, so the file is wiped and read anew. */
  private wipeMismatched(ends: ReadonlyMap<string, string>): void {
    for (const task of [...this.tasks.values()]) {
      const beyond = task.checkpointBeyond(ends);
      if (beyond === undefined) {
        this.beyondRounds.delete(task.id);
        continue;
      }
      // Last stable offsets (kafkajs) can trail a commit a moment: only a lasting mismatch is another history.
      const rounds = (this.beyondRounds.get(task.id) ?? 0) + 1;
      this.beyondRounds.set(task.id, rounds);
      if (this.options.admin.highWatermarks === undefined && rounds < beyondRoundsBeforeWipe) continue;
      this.options.logger.warn({ task: task.id, problem: beyond }, "standby state file does not match its changelog: deleting it and reading the changelog from the beginning");
      this.beyondRounds.delete(task.id);
      this.closeTask(task.id);
      deleteStateFile(task.statePath);
    }
    this.openWanted();
  }

  private async changelogEnds(): Promise<Map<string, string>> {
    const topics = new Set<string>();
    for (const task of this.tasks.values()) for (const key of task.changelogs.keys()) topics.add(topicOfPartitionKey(key));
    const ends = new Map<string, string>();
    const admin = this.options.admin;
    for (const topic of topics) {
      const read = admin.highWatermarks ? await admin.highWatermarks(topic) : await admin.endOffsets(topic);
      for (const [partition, end] of read) ends.set(changelogPartitionKey(topic, partition), end);
    }
    return ends;
  }
}
