// What must hold on the cluster before the app joins its group: the topics it reads and writes exist,
// co-partitioned inputs agree on their partition count, every repartition topic exists with its partition
// count, and every store has its compacted changelog.
import type { TopicAdmin } from "../kafka/index.ts";
import { repartitionPartitionCounts } from "../topology/repartition.ts";
import type { StoreDefinition } from "../topology/graph.ts";
import { Topology } from "../topology/topology.ts";
import type { WeirConfig } from "./config.ts";
import { usesDeadLetter } from "./error-handlers.ts";
import { createTopicsFirst, WeirError } from "./errors.ts";

export interface PreparedTopics {
  /** The partition count of each source topic (repartition topics included). */
  readonly partitions: Map<string, number>;
  /** Per sink topic (repartition topics and the dead-letter topic, when used, included), its max.message.bytes. */
  readonly maxMessageBytes: Map<string, number>;
}

type TopicSettings = Pick<WeirConfig, "applicationId" | "brokers" | "deadLetterTopic" | "deadLetterTopicIsInternal" | "deserializationErrorHandler" | "processingErrorHandler" | "productionErrorHandler">;

/**
 * Checks the topics and creates the missing repartition topics and changelogs and, when some handler
 * dead-letters, the default dead-letter topic `<applicationId>-dlq` (a configured one must exist); reads
 * the sinks' record size limits. `topology` is named for `applicationId` (forApplication).
 */
export async function prepareTopics(admin: TopicAdmin, topology: Topology, config: TopicSettings): Promise<PreparedTopics> {
  const { applicationId, brokers } = config;
  const sources = topology.externalSourceTopics();
  const deadLetter = usesDeadLetter(topology.subTopologies, config);
  const sinks = [...topology.sinkTopics(), ...(deadLetter && !config.deadLetterTopicIsInternal ? [config.deadLetterTopic] : [])];
  const counts = await admin.partitionCounts([...sources, ...sinks]);
  const missing = [...sources.map((t) => ["source", t] as const), ...sinks.map((t) => ["sink", t] as const)].filter(([, t]) => !counts.has(t));
  if (missing.length > 0) {
    throw new WeirError(
      "WEIR_TOPIC_MISSING",
      `${missing.map(([role, t]) => `${role} topic "${t}"`).join(", ")} ${missing.length === 1 ? "does" : "do"} not exist on ${brokers.join(",")}; ${createTopicsFirst(missing.map(([, t]) => t), true)}`,
    );
  }
  let repartitions: Map<string, number>;
  try {
    repartitions = repartitionPartitionCounts(topology, counts);
  } catch (err) {
    throw new WeirError("WEIR_TOPOLOGY_INVALID", (err as Error).message, { cause: err });
  }
  const repartitionProblems = await admin.ensureRepartitionTopics([...repartitions].map(([name, partitions]) => ({ name, partitions })));
  if (repartitionProblems.length > 0) {
    throw new WeirError("WEIR_TOPOLOGY_INVALID", `repartition topics do not fit the topology: ${repartitionProblems.join("; ")}; delete them (weir reset) or fix them`);
  }
  for (const [name, partitions] of repartitions) counts.set(name, partitions);
  const changelogs = [];
  for (const sub of topology.subTopologies) {
    const partitionCounts = new Set(sub.sourceTopics.map((t) => counts.get(t)));
    if (partitionCounts.size > 1) {
      throw new WeirError(
        "WEIR_TOPOLOGY_INVALID",
        `topics ${sub.sourceTopics.map((t) => `${t} (${counts.get(t)} partitions)`).join(", ")} are read by one sub-topology and must have the same number of partitions (they are co-partitioned: a join, a merge or a shared store reads them in one task; repartition one of them to match)`,
      );
    }
    const partitions = counts.get(sub.sourceTopics[0]!)!;
    for (const store of sub.stores) changelogs.push({ name: Topology.changelogTopic(applicationId, store.name), partitions, config: changelogConfig(store) });
  }
  const problems = await admin.ensureCompactedTopics(changelogs);
  if (problems.length > 0) {
    throw new WeirError("WEIR_TOPOLOGY_INVALID", `changelog topics do not fit the topology: ${problems.join("; ")}; delete them (weir reset) or fix them`);
  }
  if (deadLetter && config.deadLetterTopicIsInternal) {
    const partitions = Math.max(1, ...sources.map((t) => counts.get(t)!));
    await admin.createMissing([{ name: config.deadLetterTopic, partitions }]);
  }
  const maxMessageBytes = new Map<string, number>();
  for (const topic of new Set([...sinks, ...repartitions.keys(), ...(deadLetter ? [config.deadLetterTopic] : [])])) {
    const value = Number(await admin.topicConfig(topic, "max.message.bytes"));
    if (Number.isFinite(value) && value > 0) maxMessageBytes.set(topic, value);
  }
  return { partitions: new Map(topology.sourceTopics().map((t) => [t, counts.get(t)!])), maxMessageBytes };
}

/** Kafka Streams' `windowstore.changelog.additional.retention.ms`: a changelog keeps windows a day past the store. */
const CHANGELOG_ADDITIONAL_RETENTION_MS = 86_400_000;

/**
 * Window and session stores expire rows without tombstones, as Kafka Streams does: their changelogs
 * are `compact,delete` with a retention past the store's, so the broker drops expired windows too.
 * A versioned store's changelog is plain `compact` (the default): each version has its own changelog key
 * and expired versions get tombstones, so compaction never merges two versions and time never drops the
 * newest one (Kafka Streams instead keys by the plain key and sets min.compaction.lag.ms past the retention).
 */
function changelogConfig(store: StoreDefinition): Record<string, string> | undefined {
  if ((store.kind !== "window" && store.kind !== "session") || store.retentionMs === undefined || !Number.isFinite(store.retentionMs)) return undefined;
  return { "cleanup.policy": "compact,delete", "retention.ms": String(store.retentionMs + CHANGELOG_ADDITIONAL_RETENTION_MS) };
}
