// What must hold on the cluster before the app joins its group: the topics it reads and writes exist,
// co-partitioned inputs agree on their partition count, and every store has its compacted changelog.
import type { TopicAdmin } from "../kafka/index.ts";
import { Topology } from "../topology/topology.ts";
import type { WeirConfig } from "./config.ts";
import { usesDeadLetter } from "./error-handlers.ts";
import { WeirError } from "./errors.ts";

export interface PreparedTopics {
  /** The partition count of each source topic. */
  readonly partitions: Map<string, number>;
  /** Per sink topic (and the dead-letter topic, when used), its max.message.bytes. */
  readonly maxMessageBytes: Map<string, number>;
}

type TopicSettings = Pick<WeirConfig, "applicationId" | "brokers" | "deadLetterTopic" | "deadLetterTopicIsInternal" | "deserializationErrorHandler" | "processingErrorHandler" | "productionErrorHandler">;

/**
 * Checks the topics, creates the missing changelogs and, when some handler dead-letters, the default
 * dead-letter topic `<applicationId>-dlq` (a configured one must exist); reads the sinks' record size limits.
 */
export async function prepareTopics(admin: TopicAdmin, topology: Topology, config: TopicSettings): Promise<PreparedTopics> {
  const { applicationId, brokers } = config;
  const sources = topology.sourceTopics();
  const deadLetter = usesDeadLetter(topology.subTopologies, config);
  const sinks = [...topology.sinkTopics(), ...(deadLetter && !config.deadLetterTopicIsInternal ? [config.deadLetterTopic] : [])];
  const counts = await admin.partitionCounts([...sources, ...sinks]);
  const missing = [...sources.map((t) => ["source", t] as const), ...sinks.map((t) => ["sink", t] as const)].filter(([, t]) => !counts.has(t));
  if (missing.length > 0) {
    const one = missing.length === 1;
    throw new WeirError(
      "WEIR_TOPIC_MISSING",
      `${missing.map(([role, t]) => `${role} topic "${t}"`).join(", ")} ${one ? "does" : "do"} not exist on ${brokers.join(",")}; create ${one ? "it" : "them"} first (Weir creates only its own internal topics)`,
    );
  }
  const changelogs = [];
  for (const sub of topology.subTopologies) {
    const partitionCounts = new Set(sub.sourceTopics.map((t) => counts.get(t)));
    if (partitionCounts.size > 1) {
      throw new WeirError(
        "WEIR_TOPOLOGY_INVALID",
        `topics ${sub.sourceTopics.map((t) => `${t} (${counts.get(t)} partitions)`).join(", ")} are read by one sub-topology and must have the same number of partitions`,
      );
    }
    const partitions = counts.get(sub.sourceTopics[0]!)!;
    for (const store of sub.stores) changelogs.push({ name: Topology.changelogTopic(applicationId, store.name), partitions });
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
  for (const topic of new Set([...sinks, ...(deadLetter ? [config.deadLetterTopic] : [])])) {
    const value = Number(await admin.topicConfig(topic, "max.message.bytes"));
    if (Number.isFinite(value) && value > 0) maxMessageBytes.set(topic, value);
  }
  return { partitions: new Map(sources.map((t) => [t, counts.get(t)!])), maxMessageBytes };
}
