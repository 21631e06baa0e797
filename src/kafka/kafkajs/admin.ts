// Topic administration: which topics exist with how many partitions, and creating Weir's own topics.
import type { Admin, Kafka } from "kafkajs";
import type { TopicAdmin } from "../port.ts";
import type { TopicPartitionOffset, TopicSpec } from "../types.ts";

/** ConfigResourceTypes.TOPIC: kafkajs is CommonJS and Node does not expose that enum as a named ESM export. */
const TOPIC_RESOURCE = 2;

export class KafkajsTopicAdmin implements TopicAdmin {
  private readonly admin: Admin;
  private connected = false;

  constructor(kafka: Kafka) {
    this.admin = kafka.admin();
  }

  private async connect(): Promise<Admin> {
    if (!this.connected) {
      await this.admin.connect();
      this.connected = true;
    }
    return this.admin;
  }

  /** Partition count of each named topic that exists; missing topics are absent from the map. */
  async partitionCounts(topics: readonly string[]): Promise<Map<string, number>> {
    const admin = await this.connect();
    const existing = new Set(await admin.listTopics());
    const present = topics.filter((t) => existing.has(t));
    const counts = new Map<string, number>();
    if (present.length === 0) return counts;
    const { topics: meta } = await admin.fetchTopicMetadata({ topics: present });
    for (const t of meta) counts.set(t.name, t.partitions.length);
    return counts;
  }

  /** Creates the topics that do not exist yet; returns the names it created. */
  async createMissing(specs: readonly TopicSpec[]): Promise<string[]> {
    const admin = await this.connect();
    const existing = new Set(await admin.listTopics());
    const missing = specs.filter((s) => !existing.has(s.name));
    if (missing.length === 0) return [];
    await admin.createTopics({
      // kafkajs's own wait retries only LEADER_NOT_AVAILABLE; see whenLeadersKnown.
      waitForLeaders: false,
      topics: missing.map((s) => ({
        topic: s.name,
        numPartitions: s.partitions,
        replicationFactor: s.replicationFactor ?? -1,
        configEntries: Object.entries(s.config ?? {}).map(([name, value]) => ({ name, value })),
      })),
    });
    const names = missing.map((s) => s.name);
    await this.whenLeadersKnown(names, 30_000);
    return names;
  }

  /**
   * Waits until the metadata lists every partition of the topics with a leader. A broker answers
   * UNKNOWN_TOPIC_OR_PARTITION for a topic the controller has created but its own metadata has not caught
   * up with yet (seen on Kafka 4.4 under load; kafkajs's waitForLeaders fails on it), so both that and
   * LEADER_NOT_AVAILABLE mean "not yet".
   */
  private async whenLeadersKnown(topics: readonly string[], timeoutMs: number): Promise<void> {
    const admin = await this.connect();
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        const { topics: meta } = await admin.fetchTopicMetadata({ topics: [...topics] });
        if (meta.length === topics.length && meta.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0))) return;
      } catch (err) {
        // kafkajs wraps an error it gave up retrying on; its cause carries the protocol error's type.
        const { type, cause } = err as { type?: unknown; cause?: { type?: unknown } };
        const notYet = (t: unknown) => t === "UNKNOWN_TOPIC_OR_PARTITION" || t === "LEADER_NOT_AVAILABLE";
        if (!notYet(type) && !notYet(cause?.type)) throw err;
      }
      if (Date.now() > deadline) throw new Error(`topics ${topics.join(", ")} had no leader for every partition ${timeoutMs} ms after their creation`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /**
   * Creates the compacted changelog topics that are missing; an existing one must have the expected
   * partition count and `cleanup.policy` including compact. Returns a problem per bad topic.
   */
  async ensureCompactedTopics(specs: readonly TopicSpec[]): Promise<string[]> {
    const compacted = specs.map((s) => ({ ...s, config: { "cleanup.policy": "compact", ...s.config } }));
    const created = new Set(await this.createMissing(compacted));
    const existing = specs.filter((s) => !created.has(s.name));
    if (existing.length === 0) return [];
    const admin = await this.connect();
    const problems: string[] = [];
    const counts = await this.partitionCounts(existing.map((s) => s.name));
    const configs = await admin.describeConfigs({
      includeSynonyms: false,
      resources: existing.map((s) => ({ type: TOPIC_RESOURCE, name: s.name, configNames: ["cleanup.policy"] })),
    });
    for (const spec of existing) {
      const count = counts.get(spec.name);
      if (count !== spec.partitions) problems.push(`${spec.name} has ${count} partitions, expected ${spec.partitions}`);
      const policy = configs.resources.find((r) => r.resourceName === spec.name)?.configEntries.find((e) => e.configName === "cleanup.policy")?.configValue;
      if (!policy?.split(",").includes("compact")) problems.push(`${spec.name} has cleanup.policy=${policy}, expected compact`);
    }
    return problems;
  }

  /**
   * Creates the repartition topics that are missing (delete policy, kept until Weir purges what was consumed,
   * as Kafka Streams configures them); an existing one must have the expected partition count. Returns a
   * problem per bad topic.
   */
  async ensureRepartitionTopics(specs: readonly TopicSpec[]): Promise<string[]> {
    const withConfig = specs.map((s) => ({ ...s, config: { "cleanup.policy": "delete", "retention.ms": "-1", "segment.bytes": "52428800", ...s.config } }));
    const created = new Set(await this.createMissing(withConfig));
    const existing = specs.filter((s) => !created.has(s.name));
    if (existing.length === 0) return [];
    const counts = await this.partitionCounts(existing.map((s) => s.name));
    return existing.filter((s) => counts.get(s.name) !== s.partitions).map((s) => `${s.name} has ${counts.get(s.name)} partitions, expected ${s.partitions}`);
  }

  /** Deletes the records before `offset` in each partition (moves the log start offset), as Kafka Streams purges repartition topics. */
  async deleteRecordsBefore(topic: string, offsets: ReadonlyMap<number, string>): Promise<void> {
    if (offsets.size === 0) return;
    const admin = await this.connect();
    await admin.deleteTopicRecords({ topic, partitions: [...offsets].map(([partition, offset]) => ({ partition, offset })) });
  }

  /** A topic's value of one config setting, as the broker reports it. */
  async topicConfig(topic: string, setting: string): Promise<string | undefined> {
    const admin = await this.connect();
    const { resources } = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: TOPIC_RESOURCE, name: topic, configNames: [setting] }] });
    return resources[0]?.configEntries.find((e) => e.configName === setting)?.configValue;
  }

  /** The group's committed offsets (the next offset to read) of the topics' partitions; -1 when none. */
  async committedOffsets(groupId: string, topics: readonly string[]): Promise<Map<string, string>> {
    const admin = await this.connect();
    const result = await admin.fetchOffsets({ groupId, topics: [...topics] });
    const out = new Map<string, string>();
    for (const t of result) for (const p of t.partitions) out.set(`${t.topic}:${p.partition}`, p.offset);
    return out;
  }

  async deleteTopics(topics: readonly string[]): Promise<void> {
    if (topics.length === 0) return;
    const admin = await this.connect();
    await admin.deleteTopics({ topics: [...topics] });
  }

  /** The newest offset (the offset the next record will get) of every partition of `topic`. */
  async endOffsets(topic: string): Promise<Map<number, string>> {
    const admin = await this.connect();
    const offsets = await admin.fetchTopicOffsets(topic);
    return new Map(offsets.map((o) => [o.partition, o.high]));
  }

  async close(): Promise<void> {
    if (this.connected) {
      this.connected = false;
      await this.admin.disconnect();
    }
  }

  // For `weir reset`: what the cluster holds of an application, and moving its group back to the start.

  /** The names of all topics on the cluster. */
  async topicNames(): Promise<string[]> {
    const admin = await this.connect();
    return admin.listTopics();
  }

  /** The ids of all consumer groups on the cluster. */
  async groupIds(): Promise<string[]> {
    const admin = await this.connect();
    const { groups } = await admin.listGroups();
    return groups.map((g) => g.groupId);
  }

  /** A group's state as the coordinator reports it (`Empty`, `Stable`, …; `Dead` for a group that does not exist) and its member count. */
  async groupState(groupId: string): Promise<{ state: string; members: number }> {
    const admin = await this.connect();
    const { groups } = await admin.describeGroups([groupId]);
    const group = groups.find((g) => g.groupId === groupId);
    if (!group) throw new Error(`the coordinator did not describe group ${groupId}`);
    return { state: group.state, members: group.members.length };
  }

  /** Every offset the group has committed, whatever the topic (a deleted topic's offsets may linger a while). */
  async allCommittedOffsets(groupId: string): Promise<TopicPartitionOffset[]> {
    const admin = await this.connect();
    // No topics: OffsetFetch with a null topic list, which the coordinator answers with all of the group's.
    const result = await admin.fetchOffsets({ groupId });
    return result.flatMap((t) => t.partitions.map((p) => ({ topic: t.topic, partition: p.partition, offset: p.offset })));
  }

  /** The oldest offset still held (the log start offset) of every partition of `topic`. */
  async earliestOffsets(topic: string): Promise<Map<number, string>> {
    const admin = await this.connect();
    const offsets = await admin.fetchTopicOffsets(topic);
    return new Map(offsets.map((o) => [o.partition, o.low]));
  }

  /**
   * Commits these offsets for the group's partitions of `topic`. kafkajs does it by joining the group with a
   * throwaway member (about 5 s: it waits for one fetch) and fails unless the group is Empty or Dead. Concrete
   * offsets, not kafkajs's `resetOffsets({ earliest: true })`, which commits the sentinel -2 as the offset.
   */
  async commitGroupOffsets(groupId: string, topic: string, offsets: ReadonlyMap<number, string>): Promise<void> {
    if (offsets.size === 0) return;
    const admin = await this.connect();
    await admin.setOffsets({ groupId, topic, partitions: [...offsets].map(([partition, offset]) => ({ partition, offset })) });
  }

  /** Deletes the topics, then waits until the cluster's metadata no longer lists them, so that they can be created again at once. */
  async deleteTopicsAndWait(topics: readonly string[], timeoutMs: number): Promise<void> {
    if (topics.length === 0) return;
    await this.deleteTopics(topics);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const existing = new Set(await this.topicNames());
      const left = topics.filter((t) => existing.has(t));
      if (left.length === 0) return;
      if (Date.now() > deadline) throw new Error(`topics ${left.join(", ")} were still listed ${timeoutMs} ms after their deletion`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}
