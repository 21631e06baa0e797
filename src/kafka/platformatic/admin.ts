// The reads exactly-once v2 needs at a task's hand-over (docs/architecture.md, "Exactly-once, per client"):
// the group's committed offsets as stable offsets (OffsetFetch with require_stable, KIP-447), and each
// partition's high watermark. The rest of topic administration is kafkajs's admin client (kafkajs/admin.ts).
import { Admin } from "@platformatic/kafka";
import type { Kafka } from "kafkajs";
import { KafkajsTopicAdmin } from "../kafkajs/admin.ts";
import type { ClientSettings } from "../types.ts";
import { protocolErrorIds } from "./errors.ts";
import { baseOptions } from "./options.ts";

/** A transaction left open by a SIGKILLed owner ends at its timeout, plus the coordinator's check interval. */
const maxUnstableWaitMs = 120_000;
const unstableRetryMs = 200;

export class PlatformaticTopicAdmin extends KafkajsTopicAdmin {
  private readonly settings: ClientSettings;
  private platformatic: Admin | undefined;

  constructor(kafka: Kafka, settings: ClientSettings) {
    super(kafka);
    this.settings = settings;
  }

  private stableAdmin(): Admin {
    this.platformatic ??= new Admin(baseOptions(this.settings, "-admin"));
    return this.platformatic;
  }

  /**
   * The group's committed offsets (the next offset to read), -1 when none. Stable: while a transaction that
   * commits offsets of these partitions is open, the coordinator answers UNSTABLE_OFFSET_COMMIT and the read
   * is retried, so a task's new owner never starts from offsets its previous owner's transaction may move.
   */
  override async committedOffsets(groupId: string, topics: readonly string[]): Promise<Map<string, string>> {
    const counts = await this.partitionCounts(topics);
    const request = [...counts].map(([name, count]) => ({ name, partitionIndexes: Array.from({ length: count }, (_, i) => i) }));
    const out = new Map<string, string>();
    if (request.length === 0) return out;
    const started = Date.now();
    for (;;) {
      try {
        const groups = await this.stableAdmin().listConsumerGroupOffsets({ groups: [{ groupId, topics: request }], requireStable: true });
        for (const g of groups) for (const t of g.topics) for (const p of t.partitions) out.set(`${t.name}:${p.partitionIndex}`, p.committedOffset.toString());
        return out;
      } catch (err) {
        if (!protocolErrorIds(err).includes("UNSTABLE_OFFSET_COMMIT") || Date.now() - started > maxUnstableWaitMs) throw err;
        await new Promise((resolve) => setTimeout(resolve, unstableRetryMs));
      }
    }
  }

  /**
   * Each partition's high watermark (read_uncommitted: past any open transaction's records). Read up to it
   * read_committed, a changelog is read once every transaction begun before is committed or aborted.
   */
  async highWatermarks(topic: string): Promise<Map<number, string>> {
    const count = (await this.partitionCounts([topic])).get(topic) ?? 0;
    if (count === 0) return new Map();
    const partitions = Array.from({ length: count }, (_, i) => ({ partitionIndex: i, timestamp: -1n }));
    const listed = await this.stableAdmin().listOffsets({ topics: [{ name: topic, partitions }], isolationLevel: 0 });
    const out = new Map<number, string>();
    for (const t of listed) for (const p of t.partitions) out.set(p.partitionIndex, p.offset.toString());
    return out;
  }

  override async close(): Promise<void> {
    const admin = this.platformatic;
    this.platformatic = undefined;
    await admin?.close().catch(() => undefined);
    await super.close();
  }
}
