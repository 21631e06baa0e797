// Every metric the runtime emits, on one prom-client registry per app (several apps may share a
// process). Prefix `weir_`; labels are bounded: application, topic, partition, task, store, reason.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";

/** What the registry asks the runtime for at each scrape (values that are cheaper to read than to track). */
export interface MetricsSource {
  tasksOwned(): number;
  stores(): readonly { task: string; store: string; entries: number; bytes: number }[];
}

const latencyBuckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export class WeirMetrics {
  readonly registry = new Registry();
  private readonly application: string;
  private readonly consumed: Counter<"application" | "topic">;
  private readonly produced: Counter<"application" | "topic">;
  private readonly processLatency: Histogram<"application">;
  private readonly commitLatency: Histogram<"application">;
  private readonly commits: Counter<"application">;
  private readonly commitFailures: Counter<"application" | "reason">;
  private readonly lag: Gauge<"application" | "topic" | "partition">;
  private readonly restored: Counter<"application" | "store">;
  private readonly restoreRemaining: Gauge<"application" | "task" | "store">;
  private readonly rebalances: Counter<"application">;
  private readonly standbyLag: Gauge<"application" | "task" | "store">;
  private readonly standbyApplied: Counter<"application" | "store">;
  private readonly dropped: Counter<"application" | "reason">;
  private readonly lateDropped: Counter<"application" | "store">;
  private readonly endToEnd: Histogram<"application">;
  private readonly handledErrors: Counter<"application" | "kind" | "action">;
  private readonly registryWaiting: Gauge<"application">;
  private readonly registryRetries: Counter<"application">;

  constructor(application: string, source: MetricsSource) {
    this.application = application;
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.consumed = new Counter({ name: "weir_records_consumed_total", help: "Input records processed, per topic", labelNames: ["application", "topic"], registers });
    this.produced = new Counter({ name: "weir_records_produced_total", help: "Output records committed, per topic (changelogs excluded)", labelNames: ["application", "topic"], registers });
    this.processLatency = new Histogram({
      name: "weir_process_latency_seconds",
      help: "Time to run one fetched batch through its task",
      labelNames: ["application"],
      buckets: latencyBuckets,
      registers,
    });
    this.commitLatency = new Histogram({
      name: "weir_commit_latency_seconds",
      help: "Time of a task's commit: changelog flush, Kafka transaction (or send + offset commit), SQLite commit",
      labelNames: ["application"],
      buckets: latencyBuckets,
      registers,
    });
    this.commits = new Counter({ name: "weir_commits_total", help: "Successful task commits", labelNames: ["application"], registers });
    this.commitFailures = new Counter({
      name: "weir_commit_failures_total",
      help: "Task commits that failed and were rolled back; reason fenced: another owner took the task over",
      labelNames: ["application", "reason"],
      registers,
    });
    this.lag = new Gauge({
      name: "weir_consumer_lag",
      help: "Records of an input partition not yet processed, at the end of its last batch",
      labelNames: ["application", "topic", "partition"],
      registers,
    });
    this.restored = new Counter({ name: "weir_restore_records_total", help: "Changelog records replayed into stores", labelNames: ["application", "store"], registers });
    this.restoreRemaining = new Gauge({
      name: "weir_restore_remaining_records",
      help: "Changelog offsets left to replay before a task's store is restored",
      labelNames: ["application", "task", "store"],
      registers,
    });
    // Registered at the first standby (numStandbyReplicas > 0): without standbys /metrics is as before.
    this.standbyLag = new Gauge({
      name: "weir_standby_lag_records",
      help: "A standby task's changelog offsets not yet applied (changelog end − checkpoint), per store",
      labelNames: ["application", "task", "store"],
      registers: [],
    });
    this.standbyApplied = new Counter({ name: "weir_standby_records_total", help: "Changelog records applied by standby tasks", labelNames: ["application", "store"], registers: [] });
    this.rebalances = new Counter({ name: "weir_rebalances_total", help: "Assignments received from the group", labelNames: ["application"], registers });
    this.dropped = new Counter({ name: "weir_dropped_records_total", help: "Records dropped on purpose by processors, per reason", labelNames: ["application", "reason"], registers });
    this.lateDropped = new Counter({
      name: "weir_late_records_dropped_total",
      help: "Records dropped because their window had closed (stream time past window end + grace), per window or suppress store",
      labelNames: ["application", "store"],
      registers,
    });
    this.endToEnd = new Histogram({
      name: "weir_end_to_end_latency_seconds",
      help: "Commit time of an output record minus the timestamp of the input record it came from",
      labelNames: ["application"],
      buckets: [0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.3, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    });
    this.handledErrors = new Counter({
      name: "weir_error_records_total",
      help: "Input records an error handler skipped or dead-lettered, committed; kind: deserialization, processing or production",
      labelNames: ["application", "kind", "action"],
      registers,
    });
    this.registryWaiting = new Gauge({
      name: "weir_schema_registry_waiting_tasks",
      help: "Tasks paused now because the schema registry is unreachable and a record's schema is not cached",
      labelNames: ["application"],
      registers,
    });
    this.registryRetries = new Counter({
      name: "weir_schema_registry_retries_total",
      help: "Failed attempts to reach the schema registry for a schema, each followed by a retry after a backoff",
      labelNames: ["application"],
      registers,
    });
    new Gauge({
      name: "weir_tasks_owned",
      help: "Tasks this instance owns",
      labelNames: ["application"],
      registers,
      collect() {
        this.set({ application }, source.tasksOwned());
      },
    });
    new Gauge({
      name: "weir_store_entries",
      help: "Approximate entries of a task's store",
      labelNames: ["application", "task", "store"],
      registers,
      collect() {
        this.reset();
        for (const s of source.stores()) this.set({ application, task: s.task, store: s.store }, s.entries);
      },
    });
    new Gauge({
      name: "weir_store_bytes",
      help: "Size of a task's SQLite file with its WAL (shared by the task's stores)",
      labelNames: ["application", "task", "store"],
      registers,
      collect() {
        this.reset();
        for (const s of source.stores()) this.set({ application, task: s.task, store: s.store }, s.bytes);
      },
    });
  }

  recordsConsumed(topic: string, count: number): void {
    this.consumed.inc({ application: this.application, topic }, count);
  }

  batchProcessed(seconds: number): void {
    this.processLatency.observe({ application: this.application }, seconds);
  }

  consumerLag(topic: string, partition: number, lag: number): void {
    this.lag.set({ application: this.application, topic, partition: String(partition) }, lag);
  }

  /** A committed task: its latency, its output records per topic, and each output's input timestamp. */
  committed(seconds: number, outputs: ReadonlyMap<string, number>, inputTimestamps: readonly number[], now: number): void {
    this.commits.inc({ application: this.application });
    this.commitLatency.observe({ application: this.application }, seconds);
    for (const [topic, count] of outputs) this.produced.inc({ application: this.application, topic }, count);
    for (const ts of inputTimestamps) this.endToEnd.observe({ application: this.application }, Math.max(0, now - ts) / 1000);
  }

  commitFailed(fenced: boolean): void {
    this.commitFailures.inc({ application: this.application, reason: fenced ? "fenced" : "error" });
  }

  restoredRecords(store: string, count: number): void {
    this.restored.inc({ application: this.application, store }, count);
  }

  restoreRemainingRecords(task: string, store: string, remaining: number): void {
    this.restoreRemaining.set({ application: this.application, task, store }, remaining);
  }

  /** A standby's lag; undefined removes the series (the standby closed). */
  standbyLagRecords(task: string, store: string, lag: number | undefined): void {
    this.registerStandbyMetrics();
    if (lag === undefined) this.standbyLag.remove({ application: this.application, task, store });
    else this.standbyLag.set({ application: this.application, task, store }, lag);
  }

  standbyRecordsApplied(store: string, count: number): void {
    this.registerStandbyMetrics();
    this.standbyApplied.inc({ application: this.application, store }, count);
  }

  private registerStandbyMetrics(): void {
    if (this.registry.getSingleMetric("weir_standby_lag_records")) return;
    this.registry.registerMetric(this.standbyLag);
    this.registry.registerMetric(this.standbyApplied);
  }

  rebalanced(): void {
    this.rebalances.inc({ application: this.application });
  }

  droppedRecords(reason: string, count: number): void {
    this.dropped.inc({ application: this.application, reason }, count);
  }

  /** Records an error handler skipped (`skipped`) or sent to the dead-letter topic (`dead_lettered`), counted once committed. */
  errorRecords(kind: string, action: "skipped" | "dead_lettered", count: number): void {
    this.handledErrors.inc({ application: this.application, kind, action }, count);
  }

  registryWait(started: boolean): void {
    if (started) this.registryWaiting.inc({ application: this.application });
    else this.registryWaiting.dec({ application: this.application });
  }

  registryRetried(): void {
    this.registryRetries.inc({ application: this.application });
  }

  lateRecordsDropped(store: string, count: number): void {
    this.lateDropped.inc({ application: this.application, store }, count);
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
