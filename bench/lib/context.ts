// What every workload of a run shares: the broker, the sizes, a run id for unique names, the topics it
// created (deleted at the end; topics the apps create die with the broker), and the log.
import { createTopics, deleteTopics } from "../../src/kafka/tools.ts";
import type { Sizes } from "./sizes.ts";

export const partitions = 6;

export class BenchContext {
  readonly brokers: readonly string[];
  readonly sizes: Sizes;
  readonly runId = Date.now().toString(36);
  private readonly created: string[] = [];

  constructor(brokers: readonly string[], sizes: Sizes) {
    this.brokers = brokers;
    this.sizes = sizes;
  }

  log(line: string): void {
    process.stderr.write(`bench: ${line}\n`);
  }

  /** A new topic `bench-<name>-<runId>` (6 partitions unless told), deleted by dropTopics(). */
  async topic(name: string, options: { partitions?: number; config?: Record<string, string> } = {}): Promise<string> {
    return this.createTopic(`bench-${name}-${this.runId}`, options);
  }

  /** A new topic of exactly that name (a changelog an app will find), deleted by dropTopics(). */
  async createTopic(topic: string, options: { partitions?: number; config?: Record<string, string> } = {}): Promise<string> {
    await createTopics({ brokers: this.brokers }, [{ name: topic, partitions: options.partitions ?? partitions, ...(options.config ? { config: options.config } : {}) }]);
    this.created.push(topic);
    return topic;
  }

  async dropTopics(): Promise<void> {
    const all = this.created.splice(0);
    if (all.length > 0) await deleteTopics({ brokers: this.brokers }, all);
  }
}
