// What must hold on the cluster before the app joins its group: the topics it reads and writes exist,
// co-partitioned inputs agree on their partition count, every repartition topic exists with its partition
// count, and every store has its compacted changelog.
import type { TopicAdmin } from "../kafka/index.ts";
import { repartitionPartitionCounts } from "../topology/repartition.ts";
import type { StoreDefinition } from "../topology/graph.ts";
import { Topology } from "../topology/topology.ts";
import { WeirError } from "./errors.ts";

/**
 * Checks the topics and creates the missing repartition topics and changelogs; returns the partition count of
 * each source topic (repartition topics included). `topology` is named for `applicationId` (forApplication).
 */
export async function prepareTopics(admin: TopicAdmin, topology: Topology, applicationId: string, brokers: readonly string[]): Promise<Map<string, number>> {
  const sources = topology.externalSourceTopics();
  const sinks = topology.sinkTopics();
  const counts = await admin.partitionCounts([...sources, ...sinks]);
  const missing = [...sources.map((t) => ["source", t] as const), ...sinks.map((t) => ["sink", t] as const)].filter(([, t]) => !counts.has(t));
  if (missing.length > 0) {
    const one = missing.length === 1;
    throw new WeirError(
      "WEIR_TOPIC_MISSING",
      `${missing.map(([role, t]) => `${role} topic "${t}"`).join(", ")} ${one ? "does" : "do"} not exist on ${brokers.join(",")}; create ${one ? "it" : "them"} first (Weir creates only its own internal topics)`,
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
  return new Map(topology.sourceTopics().map((t) => [t, counts.get(t)!]));
}

/** Kafka Streams' `windowstore.changelog.additional.retention.ms`: a changelog keeps windows a day past the store. */
const CHANGELOG_ADDITIONAL_RETENTION_MS = 86_400_000;

/**
 * Window and session stores expire rows without tombstones, as Kafka Streams does: their changelogs
 * are `compact,delete` with a retention past the store's, so the broker drops expired windows too.
 */
function changelogConfig(store: StoreDefinition): Record<string, string> | undefined {
  if ((store.kind !== "window" && store.kind !== "session") || store.retentionMs === undefined || !Number.isFinite(store.retentionMs)) return undefined;
  return { "cleanup.policy": "compact,delete", "retention.ms": String(store.retentionMs + CHANGELOG_ADDITIONAL_RETENTION_MS) };
}
