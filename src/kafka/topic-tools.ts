// What `weir topics`, `weir produce` and `weir tail` ask of the cluster: list, describe and create topics, and
// read a topic's records as they come. The CLI holds no client; it calls these.
import type { KafkaMessage } from "kafkajs";
import { kafkaFor, type Connection } from "./tools.ts";
import type { ConsumedRecord, KafkaHeaders, TopicSpec } from "./types.ts";

/** ConfigResourceTypes.TOPIC and ConfigSource.TOPIC_CONFIG (kafkajs is CommonJS; its enums are not named ESM exports). */
const TOPIC_RESOURCE = 2;
const TOPIC_CONFIG_SOURCE = 1;

export interface TopicDetails {
  readonly name: string;
  readonly partitions: readonly { readonly partition: number; readonly leader: number; readonly replicas: readonly number[]; readonly isr: readonly number[] }[];
  /** The settings set on the topic itself (not the broker's defaults). */
  readonly config: Readonly<Record<string, string>>;
}

async function withAdmin<T>(connection: Connection, use: (admin: ReturnType<ReturnType<typeof kafkaFor>["admin"]>) => Promise<T>): Promise<T> {
  const admin = kafkaFor(connection).admin();
  await admin.connect();
  try {
    return await use(admin);
  } finally {
    await admin.disconnect();
  }
}

/** The names of the cluster's topics, sorted; Kafka's own (`__consumer_offsets`, …) only with `internal`. */
export async function listTopicNames(connection: Connection, internal = false): Promise<string[]> {
  const names = await withAdmin(connection, (admin) => admin.listTopics());
  return names.filter((n) => internal || !n.startsWith("__")).sort();
}

/** Partitions, leaders, replicas and the topic-level settings of each topic that exists; missing ones are absent. */
export async function describeTopics(connection: Connection, topics: readonly string[]): Promise<TopicDetails[]> {
  return withAdmin(connection, async (admin) => {
    const existing = new Set(await admin.listTopics());
    const present = topics.filter((t) => existing.has(t));
    if (present.length === 0) return [];
    const { topics: meta } = await admin.fetchTopicMetadata({ topics: present });
    const configs = await admin.describeConfigs({ includeSynonyms: false, resources: present.map((name) => ({ type: TOPIC_RESOURCE, name })) });
    return present.map((name) => {
      const partitions = meta.find((m) => m.name === name)?.partitions ?? [];
      const entries = configs.resources.find((r) => r.resourceName === name)?.configEntries ?? [];
      return {
        name,
        partitions: partitions
          .map((p) => ({ partition: p.partitionId, leader: p.leader, replicas: p.replicas, isr: p.isr }))
          .sort((a, b) => a.partition - b.partition),
        config: Object.fromEntries(entries.filter((e) => Number(e.configSource) === TOPIC_CONFIG_SOURCE).map((e) => [e.configName, e.configValue])),
      };
    });
  });
}

/**
 * Creates each topic that does not exist yet and waits for its leaders; returns the names it created. A spec's
 * `partitions` or `replicationFactor` of -1 takes the broker's default (`num.partitions`, `default.replication.factor`).
 */
export async function createTopicsIfMissing(connection: Connection, specs: readonly TopicSpec[]): Promise<string[]> {
  return withAdmin(connection, async (admin) => {
    const existing = new Set(await admin.listTopics());
    const missing = specs.filter((s) => !existing.has(s.name));
    if (missing.length === 0) return [];
    await admin.createTopics({
      waitForLeaders: true,
      topics: missing.map((s) => ({
        topic: s.name,
        numPartitions: s.partitions,
        replicationFactor: s.replicationFactor ?? -1,
        configEntries: Object.entries(s.config ?? {}).map(([name, value]) => ({ name, value })),
      })),
    });
    return missing.map((s) => s.name);
  });
}

export interface TailOptions {
  /** From each partition's log start; otherwise only records written after the reader joined. */
  readonly fromBeginning: boolean;
  /** Skip records of aborted and open transactions. */
  readonly readCommitted: boolean;
  /** Called for each record in per-partition order; the reader waits for it before the next. */
  readonly onRecord: (record: ConsumedRecord) => Promise<void>;
}

export interface TopicTail {
  /** Stops reading and leaves the throwaway group (it commits no offset, so the broker forgets it). */
  stop(): Promise<void>;
}

/** Reads `topic` with a consumer of a throwaway group, handing each record to `onRecord` until stopped. */
export async function tailTopic(connection: Connection, topic: string, options: TailOptions): Promise<TopicTail> {
  const consumer = kafkaFor(connection).consumer({
    groupId: `weir-tail-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}`,
    readUncommitted: !options.readCommitted,
    maxWaitTimeInMs: 500,
  });
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: options.fromBeginning });
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }) => options.onRecord(consumedRecord(topic, partition, message)),
    });
  } catch (err) {
    await consumer.disconnect();
    throw err;
  }
  return { stop: () => consumer.disconnect() };
}

function consumedRecord(topic: string, partition: number, message: KafkaMessage): ConsumedRecord {
  return {
    topic,
    partition,
    offset: message.offset,
    key: message.key,
    value: message.value,
    timestamp: Number(message.timestamp),
    headers: (message.headers ?? {}) as KafkaHeaders,
  };
}
