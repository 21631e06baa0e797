// A fake of what TaskManager needs from Kafka (src/runtime/kafka-ports.ts), for unit tests of the runtime
// without a broker: a cluster of partition logs and group offsets, the group consumer's fetch control, task
// outputs that append to the logs and commit offsets, the changelog reader of restore, and the admin reads. Every call is recorded, and a
// test can wait for one (`when`) instead of polling. Not a Kafka: no fetching, no rebalancing (the test
// hands the TaskManager its assignments and batches itself).
import { changelogRecordsOf } from "../kafka/changelog-records.ts";
import type { BatchControl, BatchMessage, ChangelogRecords, PartitionRange, ProducedRecord, TopicPartitionOffset } from "../kafka/index.ts";
import type { ChangelogReaderPort, PartitionControl, TaskAdminPort, TaskOutputPort } from "../runtime/kafka-ports.ts";

/** The logs' end offsets and the group's committed offsets, keyed `topic:partition`. */
export class FakeCluster {
  readonly partitions = new Map<string, number>();
  readonly logEnds = new Map<string, bigint>();
  readonly committed = new Map<string, string>();
  /** Every record appended, per `topic:partition`, in order. */
  readonly logs = new Map<string, ProducedRecord[]>();

  constructor(topics: Record<string, number>) {
    for (const [topic, count] of Object.entries(topics)) this.partitions.set(topic, count);
  }

  append(topic: string, partition: number, records: readonly ProducedRecord[]): bigint {
    const key = `${topic}:${partition}`;
    const log = this.logs.get(key) ?? [];
    log.push(...records);
    this.logs.set(key, log);
    const end = (this.logEnds.get(key) ?? 0n) + BigInt(records.length);
    this.logEnds.set(key, end);
    return end;
  }
}

/** Records every pause, resume and seek as `pause topic:partition`, `resume topic:partition`, `seek topic:partition@offset`. */
export class FakePartitionControl implements PartitionControl {
  readonly calls: string[] = [];
  /** As @platformatic/kafka (true) or kafkajs (false, the default here): whether kept partitions go on fetching across a rebalance. */
  keepsFetchingAcrossRebalances = false;
  private readonly waiters: { readonly line: string; readonly resolve: () => void }[] = [];

  pause(partitions: ReadonlyMap<string, readonly number[]>): void {
    for (const [topic, ps] of partitions) for (const p of ps) this.record(`pause ${topic}:${p}`);
  }

  resume(partitions: ReadonlyMap<string, readonly number[]>): void {
    for (const [topic, ps] of partitions) for (const p of ps) this.record(`resume ${topic}:${p}`);
  }

  seek(topic: string, partition: number, offset: string): void {
    this.record(`seek ${topic}:${partition}@${offset}`);
  }

  /** Resolves once the call `line` is made (at once if it was made already and `after` is not given). */
  when(line: string, after = 0): Promise<void> {
    if (this.calls.slice(after).includes(line)) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ line, resolve }));
  }

  private record(line: string): void {
    this.calls.push(line);
    for (let i = this.waiters.length - 1; i >= 0; i--) {
      if (this.waiters[i]!.line === line) this.waiters.splice(i, 1)[0]!.resolve();
    }
  }
}

export interface FakeCommit {
  readonly records: readonly ProducedRecord[];
  readonly offsets: readonly TopicPartitionOffset[];
}

/** A task's output: init fences (counted), commit appends to the cluster's logs and commits the offsets. */
export class FakeTaskOutput implements TaskOutputPort {
  readonly commits: FakeCommit[] = [];
  inits = 0;
  closed = false;
  /** The next commit rejects with this error (and writes nothing). */
  failNext: Error | undefined;
  private readonly cluster: FakeCluster;
  private gate: Promise<void> | undefined;
  private readonly started: (() => void)[] = [];

  /** Commits wait (once started) until the returned function is called; `started` resolves at the first. */
  holdCommits(): { readonly started: Promise<void>; readonly release: () => void } {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    this.gate = gate;
    const started = new Promise<void>((resolve) => this.started.push(resolve));
    return {
      started,
      release: () => {
        if (this.gate === gate) this.gate = undefined;
        release();
      },
    };
  }

  constructor(cluster: FakeCluster) {
    this.cluster = cluster;
  }

  async init(): Promise<void> {
    this.inits++;
  }

  async commit(records: readonly ProducedRecord[], offsets: readonly TopicPartitionOffset[]): Promise<Map<string, string>> {
    await Promise.resolve();
    for (const resolve of this.started.splice(0)) resolve();
    if (this.gate) await this.gate;
    const failure = this.failNext;
    if (failure) {
      this.failNext = undefined;
      throw failure;
    }
    this.commits.push({ records: [...records], offsets: [...offsets] });
    const byPartition = new Map<string, ProducedRecord[]>();
    for (const r of records) {
      const key = `${r.topic}:${r.partition ?? 0}`;
      byPartition.set(key, [...(byPartition.get(key) ?? []), r]);
    }
    const ends = new Map<string, string>();
    for (const [key, rs] of byPartition) {
      const [topic, partition] = splitKey(key);
      ends.set(key, this.cluster.append(topic, partition, rs).toString());
    }
    for (const o of offsets) this.cluster.committed.set(`${o.topic}:${o.partition}`, o.offset);
    return ends;
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

export class FakeAdmin implements TaskAdminPort {
  private readonly cluster: FakeCluster;

  constructor(cluster: FakeCluster) {
    this.cluster = cluster;
  }

  async endOffsets(topic: string): Promise<Map<number, string>> {
    return this.perPartition(topic, (key) => (this.cluster.logEnds.get(key) ?? 0n).toString());
  }

  async earliestOffsets(topic: string): Promise<Map<number, string>> {
    return this.perPartition(topic, () => "0");
  }

  async committedOffsets(_groupId: string, topics: readonly string[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (const topic of topics) for (const [p, offset] of await this.perPartition(topic, (key) => this.cluster.committed.get(key) ?? "-1")) out.set(`${topic}:${p}`, offset);
    return out;
  }

  async partitionCounts(topics: readonly string[]): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    for (const topic of topics) {
      const count = this.cluster.partitions.get(topic);
      if (count !== undefined) out.set(topic, count);
    }
    return out;
  }

  private async perPartition(topic: string, value: (key: string) => string): Promise<Map<number, string>> {
    await Promise.resolve();
    const out = new Map<number, string>();
    for (let p = 0; p < (this.cluster.partitions.get(topic) ?? 0); p++) out.set(p, value(`${topic}:${p}`));
    return out;
  }
}

/**
 * Reads the cluster's logs as restore's partition reader: records each read as `read topic:partition@from-to`,
 * waits while held (`hold()`), then hands over each range in fetches of `fetchSize` records and reports its end.
 */
export class FakePartitionReader implements ChangelogReaderPort {
  readonly reads: string[] = [];
  /** Reads that ended because their signal was aborted. */
  aborted = 0;
  fetchSize = 2;
  /** The next read fails (rejects with this error) after this many fetches. */
  failNext: { readonly afterFetches: number; readonly error: Error } | undefined;
  private readonly cluster: FakeCluster;
  private gate: Promise<void> | undefined;
  private readonly waiters: { readonly line: string; readonly resolve: () => void }[] = [];

  constructor(cluster: FakeCluster) {
    this.cluster = cluster;
  }

  /** Reads wait (after being recorded) until the returned function is called. */
  hold(): () => void {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    this.gate = gate;
    return () => {
      if (this.gate === gate) this.gate = undefined;
      release();
    };
  }

  /** Resolves once the read `line` is started (at once if it was). */
  when(line: string): Promise<void> {
    if (this.reads.includes(line)) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ line, resolve }));
  }

  async read(
    ranges: readonly PartitionRange[],
    onRecords: (records: ChangelogRecords) => void | Promise<void>,
    onEnd: (topic: string, partition: number) => void,
    signal: AbortSignal,
  ): Promise<void> {
    for (const r of ranges) {
      const line = `read ${r.topic}:${r.partition}@${r.from}-${r.to}`;
      this.reads.push(line);
      for (let i = this.waiters.length - 1; i >= 0; i--) if (this.waiters[i]!.line === line) this.waiters.splice(i, 1)[0]!.resolve();
    }
    if (this.gate) await Promise.race([this.gate, new Promise((resolve) => signal.addEventListener("abort", resolve, { once: true }))]);
    const failure = this.failNext;
    this.failNext = undefined;
    let fetches = 0;
    for (const r of ranges) {
      const log = this.cluster.logs.get(`${r.topic}:${r.partition}`) ?? [];
      for (let offset = Number(r.from); offset < Number(r.to); offset += this.fetchSize) {
        if (signal.aborted) {
          this.aborted++;
          return;
        }
        if (failure && fetches++ === failure.afterFetches) throw failure.error;
        const messages = log.slice(offset, Math.min(offset + this.fetchSize, Number(r.to))).map((m, i) => ({ offset: String(offset + i), key: m.key, value: m.value, timestamp: String(m.timestamp ?? 0) }));
        await onRecords(changelogRecordsOf(r.topic, r.partition, messages));
        await Promise.resolve();
      }
      onEnd(r.topic, r.partition);
    }
  }
}

/** The control of one fetched batch: records the offsets resolved. */
export class FakeBatchControl implements BatchControl {
  readonly resolved: string[] = [];
  stale = false;

  resolveOffset(offset: string): void {
    this.resolved.push(offset);
  }

  isRunning(): boolean {
    return true;
  }

  isStale(): boolean {
    return this.stale;
  }

  async heartbeat(): Promise<void> {}
}

/** Records as a batch of one partition, from `offset` on. */
export function fakeMessages(offset: number, entries: readonly (readonly [key: string, value: string])[]): BatchMessage[] {
  return entries.map(([key, value], i) => ({ offset: String(offset + i), key: Buffer.from(key), value: Buffer.from(value), timestamp: String(1_000 + offset + i) }));
}

function splitKey(key: string): [string, number] {
  const at = key.lastIndexOf(":");
  return [key.slice(0, at), Number(key.slice(at + 1))];
}
