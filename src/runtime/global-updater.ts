// Keeps an instance's global stores up to date: restores them from their topics before any task runs
// (Kafka Streams' global store restore), then keeps applying what arrives, on a consumer of its own.
import type { GlobalConsumer, KafkaClient, TopicAdmin } from "../kafka/index.ts";
import type { Topology } from "../topology/topology.ts";
import type { WeirConfig } from "./config.ts";
import { createTopicsFirst, WeirError } from "./errors.ts";
import { GlobalStores, globalStatePath } from "./global-store.ts";
import type { Logger } from "./logger.ts";

export interface GlobalUpdaterOptions {
  readonly kafka: KafkaClient;
  readonly admin: TopicAdmin;
  readonly topology: Topology;
  readonly config: WeirConfig;
  readonly logger: Logger;
  /** A record that cannot be applied after the restore stops the app with this error. */
  readonly fail: (error: Error) => void;
  /** The app is stopping: the restore ends where it is (start-up takes no further step; the caller stops the updater). */
  readonly signal?: AbortSignal;
}

export class GlobalUpdater {
  private readonly consumer: GlobalConsumer;
  private readonly global: GlobalStores;

  private constructor(consumer: GlobalConsumer, global: GlobalStores) {
    this.consumer = consumer;
    this.global = global;
  }

  /** The global stores, read-only, by name. */
  get stores(): ReadonlyMap<string, unknown> {
    return this.global.stores;
  }

  /**
   * Checks the global topics, opens the global file and reads every partition up to the end offsets noted
   * now; resolves once all are read (the stores are then as fresh as the topics were at start), and keeps
   * reading after. Undefined when the topology has no global table.
   */
  static async start(options: GlobalUpdaterOptions): Promise<GlobalUpdater | undefined> {
    const { admin, topology, config, logger } = options;
    const topics = topology.globalTopics();
    if (topics.length === 0) return undefined;
    const counts = await admin.partitionCounts(topics);
    const missing = topics.filter((t) => !counts.has(t));
    if (missing.length > 0) {
      throw new WeirError("WEIR_TOPIC_MISSING", `global table topic${missing.length === 1 ? "" : "s"} ${missing.map((t) => `"${t}"`).join(", ")} not found on ${config.brokers.join(",")}; ${createTopicsFirst(missing, true)}`);
    }
    const ends = new Map<string, string>();
    for (const topic of topics) for (const [partition, end] of await admin.endOffsets(topic)) ends.set(`${topic}:${partition}`, end);
    const path = globalStatePath(config.stateDir, config.applicationId);
    let global = GlobalStores.open(path, topology.globalStores, config.cacheMaxBytes);
    const beyond = global.checkpointBeyond(ends);
    if (beyond) {
      logger.warn({ path, problem: beyond }, "global state file does not match its topics: deleting it and restoring from the beginning");
      global.close();
      global = GlobalStores.reset(path, topology.globalStores, config.cacheMaxBytes);
    }
    const consumer = options.kafka.globalConsumer(
      { groupPrefix: `${config.applicationId}-global`, maxBytesPerPartition: config.maxBytesPerPartition, maxWaitTimeMs: config.fetchMaxWaitMs },
      logger,
    );
    const updater = new GlobalUpdater(consumer, global);
    let restored = false;
    let settle!: (error?: Error) => void;
    const done = new Promise<void>((resolve, reject) => (settle = (error) => (error ? reject(error) : resolve())));
    const check = () => {
      if (!restored && global.caughtUp(ends)) {
        restored = true;
        settle();
      }
    };
    const failed = (error: Error) => {
      if (restored) options.fail(error);
      else {
        restored = true;
        settle(error);
      }
    };
    const started = performance.now();
    const from = Object.fromEntries([...ends.keys()].map((key) => [key, global.position(key.slice(0, key.lastIndexOf(":")), Number(key.slice(key.lastIndexOf(":") + 1))) ?? "0"]));
    logger.info({ topics, path, from, ends: Object.fromEntries(ends) }, "global store restore started");
    check();
    // A stop during a long restore need not wait for its end: the stores are read again at the next start.
    const stopped = () => {
      if (restored) return;
      restored = true;
      settle();
    };
    options.signal?.addEventListener("abort", stopped, { once: true });
    try {
      await consumer.start(
        topics,
        (topic, partition) => global.position(topic, partition),
        (batch) => {
          try {
            global.apply(batch.topic, batch.partition, batch.messages);
          } catch (err) {
            failed(new Error(`global store of topic ${batch.topic} could not apply partition ${batch.partition}: ${(err as Error).message}`, { cause: err }));
          }
          check();
        },
        (end) => {
          global.movedPast(end.topic, end.partition, end.lastOffset);
          check();
        },
        (error) => failed(new WeirError("WEIR_CONSUMER_LOST", `the Kafka client gave up on the global table consumer: ${error.message}`, { cause: error })),
      );
      await done;
    } catch (err) {
      await updater.stop();
      throw err;
    } finally {
      options.signal?.removeEventListener("abort", stopped);
    }
    if (options.signal?.aborted) logger.info({ topics }, "global store restore stopped: the app is stopping");
    else logger.info({ topics, ms: Math.round(performance.now() - started) }, "global stores restored");
    return updater;
  }

  /** Stops reading and closes the file. */
  async stop(): Promise<void> {
    try {
      await this.consumer.disconnect();
    } finally {
      this.global.close();
    }
  }
}
