// TopologyTestDriver: runs a topology without a broker, as Kafka Streams' does. The real Task code runs
// every record, one task per sub-topology on partition 0, on real stores in an in-memory SQLite file;
// records a sink writes to a topic the topology reads (a repartition topic) are processed at once. A record
// that fails goes to the same error handlers as in the runtime (default `fail`: the pipe throws).
import { pino } from "pino";
import type { BatchMessage, ProducedRecord } from "../kafka/index.ts";
import type { Headers } from "../processor/record.ts";
import { GlobalStores } from "../runtime/global-store.ts";
import { openStore } from "../runtime/open-store.ts";
import { ProcessorGraph } from "../runtime/processor-graph.ts";
import { taskId } from "../runtime/task-id.ts";
import { TaskErrorHandling } from "../runtime/task-error-handling.ts";
import { PendingOutputs } from "../runtime/pending-outputs.ts";
import type { Serde } from "../serdes/serde.ts";
import { StateFile } from "../state/state-file.ts";
import type { KeyValueStore, ValueAndTimestamp } from "../state/types.ts";
import type { VersionedKeyValueStore } from "../state/versioned-store.ts";
import type { RecordError } from "../runtime/error-handlers.ts";
import type { ErrorHandler } from "../topology/graph.ts";
import { Topology } from "../topology/topology.ts";
import { TestInputTopic, TestOutputTopic, type RecordPipe, type WrittenRecord } from "./test-topics.ts";
import { TimestampedStoreView } from "./timestamped-store-view.ts";

export interface TopologyTestDriverOptions {
  /** Names the internal topics (`<applicationId>-<name>-repartition`); default "weir-test-driver". */
  readonly applicationId?: string;
  /** The wall-clock time the driver starts at; default Date.now(). */
  readonly initialWallClockTimeMs?: number;
  /** The stores' write cache, as the runtime's `cacheMaxBytes`; default 10 MiB. */
  readonly cacheMaxBytes?: number;
  /** As the application's config (a source or sink may override them); default `fail`: the pipe throws. */
  readonly deserializationErrorHandler?: ErrorHandler;
  readonly processingErrorHandler?: ErrorHandler;
  readonly productionErrorHandler?: ErrorHandler;
  /** Where `deadLetter` writes (read it with createOutputTopic); default `<applicationId>-dlq`. */
  readonly deadLetterTopic?: string;
}

interface DriverTask {
  readonly task: ProcessorGraph;
  readonly state: StateFile;
  readonly errors: TaskErrorHandling;
}

export class TopologyTestDriver implements RecordPipe {
  readonly topology: Topology;
  private readonly tasks: DriverTask[] = [];
  private readonly taskOfTopic = new Map<string, DriverTask>();
  private readonly stores = new Map<string, unknown>();
  /** The stores that keep each row's timestamp (StoreDefinition.timestamped). */
  private readonly timestamped = new Set<string>();
  /** The versioned stores (versioned tables). */
  private readonly versioned = new Set<string>();
  private readonly written = new Map<string, WrittenRecord[]>();
  private readonly internal: ReadonlySet<string>;
  private readonly offsets = new Map<string, bigint>();
  /** Records written to topics the topology reads, waiting for their turn (first in, first processed). */
  private readonly pending: ProducedRecord[] = [];
  private wallClock: number;
  private closed = false;
  /** The global tables' stores: records piped into a global topic are applied to them at once. */
  private readonly global: GlobalStores;
  /** What the record or punctuation running now wrote: delivered once it succeeds, cut by an error handler. */
  private readonly outputs = new PendingOutputs();

  constructor(topology: Topology, options: TopologyTestDriverOptions = {}) {
    const applicationId = options.applicationId ?? "weir-test-driver";
    this.topology = topology.forApplication(applicationId);
    this.wallClock = options.initialWallClockTimeMs ?? Date.now();
    this.internal = new Set(this.topology.repartitionTopics.map((r) => r.name));
    const settings = {
      deserializationErrorHandler: options.deserializationErrorHandler ?? "fail",
      processingErrorHandler: options.processingErrorHandler ?? "fail",
      productionErrorHandler: options.productionErrorHandler ?? "fail",
      deadLetterTopic: options.deadLetterTopic ?? `${applicationId}-dlq`,
    } as const;
    const silent = pino({ level: "silent" });
    this.global = GlobalStores.open(":memory:", this.topology.globalStores, options.cacheMaxBytes ?? 10 * 1024 * 1024);
    for (const [name, store] of this.global.stores) this.stores.set(name, store);
    for (const sub of this.topology.subTopologies) {
      const state = StateFile.inMemory({ cacheMaxBytes: options.cacheMaxBytes ?? 10 * 1024 * 1024 });
      const stores = new Map<string, unknown>(this.global.stores);
      for (const def of sub.stores) {
        const store = openStore(state, def, Topology.changelogTopic(applicationId, def.name), 0);
        stores.set(def.name, store);
        this.stores.set(def.name, store);
        if (def.timestamped) this.timestamped.add(def.name);
        if (def.kind === "versioned") this.versioned.add(def.name);
      }
      const errors = new TaskErrorHandling({
        subTopology: sub,
        settings,
        task: taskId(sub.id, 0),
        partition: 0,
        logger: silent,
        outputs: this.outputs,
        writeCount: () => state.writeCount,
      });
      const sink = { collect: (r: ProducedRecord) => this.outputs.add(r), productionFailed: (e: RecordError) => errors.productionFailed(e) };
      // Processors see the driver's clock (currentSystemTimeMs, processing-time timers, wall-clock punctuators).
      const task = new ProcessorGraph(sub, 0, applicationId, sink, stores, undefined, undefined, () => this.wallClock);
      const entry = { task, state, errors };
      this.tasks.push(entry);
      for (const topic of sub.sourceTopics) this.taskOfTopic.set(topic, entry);
    }
  }

  /** An input topic the topology reads; records piped into it are processed at once. */
  createInputTopic<K, V>(name: string, keySerde: Serde<K>, valueSerde: Serde<V>): TestInputTopic<K, V> {
    const global = this.topology.globalTopics().includes(name);
    if (!global && (!this.taskOfTopic.has(name) || this.internal.has(name))) {
      throw new Error(`the topology does not read topic ${name} (it reads: ${[...this.topology.externalSourceTopics(), ...this.topology.globalTopics()].join(", ")})`);
    }
    return new TestInputTopic(this, name, keySerde, valueSerde);
  }

  /** An output topic: reads the records the topology wrote to `name` (also those written before it was created). */
  createOutputTopic<K, V>(name: string, keySerde: Serde<K>, valueSerde: Serde<V>): TestOutputTopic<K, V> {
    return new TestOutputTopic(name, this.writtenTo(name), keySerde, valueSerde);
  }

  /** The store called `name`, to read what the topology put in it; a KTable's store without its rows' timestamps. */
  getKeyValueStore<K, V>(name: string): KeyValueStore<K, V> {
    const store = this.storeNamed(name);
    if (this.versioned.has(name)) throw new Error(`store ${name} is versioned: read it with getVersionedKeyValueStore`);
    if (this.timestamped.has(name)) return new TimestampedStoreView<K, V>(store as KeyValueStore<K, ValueAndTimestamp<V>>, () => this.wallClock);
    return store as KeyValueStore<K, V>;
  }

  /** A KTable's store (table, aggregation, materialized join) with each row's timestamp, as Kafka Streams' getTimestampedKeyValueStore. */
  getTimestampedKeyValueStore<K, V>(name: string): KeyValueStore<K, ValueAndTimestamp<V>> {
    const store = this.storeNamed(name);
    if (!this.timestamped.has(name)) throw new Error(`store ${name} keeps no timestamps: read it with getKeyValueStore`);
    return store as KeyValueStore<K, ValueAndTimestamp<V>>;
  }

  /** A versioned table's store: its newest versions and its history (Kafka Streams' getVersionedKeyValueStore). */
  getVersionedKeyValueStore<K, V>(name: string): VersionedKeyValueStore<K, V> {
    const store = this.storeNamed(name);
    if (!this.versioned.has(name)) throw new Error(`store ${name} is not versioned: read it with getKeyValueStore`);
    return store as VersionedKeyValueStore<K, V>;
  }

  private storeNamed(name: string): unknown {
    const store = this.stores.get(name);
    if (store === undefined) throw new Error(`the topology has no store ${name} (it has: ${[...this.stores.keys()].join(", ") || "none"})`);
    return store;
  }

  /** The driver's wall-clock time (epoch ms), the default timestamp of piped records. */
  get wallClockTimeMs(): number {
    return this.wallClock;
  }

  /** Moves the wall clock forward, firing the processing-time timers and wall-clock punctuators now due. */
  advanceWallClockTime(ms: number): void {
    if (!(ms >= 0)) throw new Error(`advanceWallClockTime needs a duration ≥ 0, got ${ms}`);
    this.wallClock += ms;
    this.step(() => {
      for (const { task } of this.tasks) task.punctuateWallClock(this.wallClock);
      this.deliverOutputs();
    });
  }

  /** @internal Used by TestInputTopic: one record through its task, then everything it caused, then a commit. */
  pipe(topic: string, key: Buffer | null, value: Buffer | null, timestamp: number | undefined, headers: Headers): void {
    this.step(() => this.process({ topic, key, value, timestamp: timestamp ?? this.wallClock, headers }));
  }

  /** Runs `action`, then the records it wrote to topics the topology reads, then commits; an error rolls back. */
  private step(action: () => void): void {
    if (this.closed) throw new Error("the driver is closed");
    try {
      action();
      for (let next = this.pending.shift(); next; next = this.pending.shift()) this.process(next);
    } catch (err) {
      this.pending.length = 0;
      this.outputs.clear();
      for (const { task, state } of this.tasks) {
        state.rollback();
        task.stateReset();
      }
      throw err;
    }
    // As the runtime commits, minus Kafka: the stores' writes become the committed state.
    for (const { state } of this.tasks) {
      if (state.status !== "active") continue;
      state.flush();
      state.commit(new Map());
    }
  }

  /** Closes the tasks and their stores. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const { task, state } of this.tasks) {
      task.close();
      state.close();
    }
    this.global.close();
  }

  private process(record: ProducedRecord): void {
    const entry = this.taskOfTopic.get(record.topic);
    const offset = this.offsets.get(record.topic) ?? 0n;
    if (!entry) {
      // A global table's topic: applied to its store as the global consumer would, before the next record.
      this.offsets.set(record.topic, offset + 1n);
      this.global.apply(record.topic, 0, [{ offset: offset.toString(), key: record.key, value: record.value, timestamp: String(record.timestamp) }]);
      return;
    }
    // mapValuesAsync results arrive after an await: the synchronous driver cannot wait for them.
    if (entry.task.hasAsyncWork) throw new Error(`the TopologyTestDriver runs synchronously and does not support mapValuesAsync (task ${entry.task.id})`);
    this.offsets.set(record.topic, offset + 1n);
    const message: BatchMessage = { offset: offset.toString(), key: record.key, value: record.value, timestamp: String(record.timestamp), headers: record.headers };
    entry.errors.run(record.topic, message, () => entry.task.process(record.topic, message));
    this.deliverOutputs();
  }

  private deliverOutputs(): void {
    for (const record of this.outputs.take()) {
      if (!this.internal.has(record.topic)) this.writtenTo(record.topic).push(record);
      // A topic the topology reads itself (a repartition topic, or an output read back): processed next.
      if (this.taskOfTopic.has(record.topic)) this.pending.push(record);
    }
  }

  private writtenTo(topic: string): WrittenRecord[] {
    let list = this.written.get(topic);
    if (!list) this.written.set(topic, (list = []));
    return list;
  }
}
