// Restore's and standby tasks' changelog reads on @platformatic/kafka: Weir's own Fetch requests
// (raw-fetch.ts, read_committed) on a connection pool of their own, each partition's record bytes decoded
// straight into the runtime's sink (record-batches.ts) instead of through the client's decoder and a message
// per record (docs/architecture.md, "Restore"). The client still gives the cluster's metadata (leaders, brokers).
import { setTimeout as sleep } from "node:timers/promises";
import { ConnectionPool, Consumer } from "@platformatic/kafka";
import type { Logger } from "pino";
import type { ChangelogRecords, PartitionRange, PartitionReader, PartitionReaderOptions } from "../port.ts";
import type { ClientSettings } from "../types.ts";
import { baseOptions } from "./options.ts";
import { fetchFromLeaders, OFFSET_OUT_OF_RANGE } from "./raw-fetch.ts";
import { FetchedBatches } from "./record-batches.ts";

/** A read gives up (the caller retries it, then stops the app) after failing this long in a row. */
const maxFailingMs = 120_000;

interface Position {
  readonly topic: string;
  readonly partition: number;
  /** The next offset to fetch. */
  next: bigint;
  readonly to: bigint;
}

export class PlatformaticChangelogReader implements PartitionReader {
  private readonly settings: ClientSettings;
  private readonly options: PartitionReaderOptions;
  private readonly logger: Logger;

  constructor(settings: ClientSettings, options: PartitionReaderOptions, logger: Logger) {
    this.settings = settings;
    this.options = options;
    this.logger = logger;
  }

  async read(
    ranges: readonly PartitionRange[],
    onRecords: (records: ChangelogRecords) => void | Promise<void>,
    onEnd: (topic: string, partition: number) => void,
    signal: AbortSignal,
  ): Promise<void> {
    if (ranges.length === 0 || signal.aborted) return;
    const options = baseOptions(this.settings, "-restore");
    // Only for the cluster's metadata: a group id is required by the constructor; this consumer never joins it.
    const metadata = new Consumer({ ...options, groupId: `${this.options.groupPrefix}-unjoined`, autocommit: false });
    const pool = new ConnectionPool(options.clientId, options);
    const positions = new Map<string, Position>();
    for (const r of ranges) positions.set(`${r.topic}:${r.partition}`, { topic: r.topic, partition: r.partition, next: BigInt(r.from), to: BigInt(r.to) });
    let failingSince: number | undefined;
    try {
      while (positions.size > 0 && !signal.aborted) {
        try {
          await this.fetchOnce(metadata, pool, positions, onRecords, onEnd, signal);
          failingSince = undefined;
        } catch (err) {
          if (signal.aborted) return;
          failingSince ??= Date.now();
          if (Date.now() - failingSince > maxFailingMs) throw err;
          this.logger.warn({ err }, "changelog fetch failed; retrying");
          metadata.clearMetadata();
          await sleep(500, undefined, { signal }).catch(() => undefined);
        }
      }
    } finally {
      await pool.close();
      await metadata.close(true);
    }
  }

  /** One fetch per leader of the partitions still to read, their records handed over in order. */
  private async fetchOnce(
    metadata: Consumer,
    pool: ConnectionPool,
    positions: Map<string, Position>,
    onRecords: (records: ChangelogRecords) => void | Promise<void>,
    onEnd: (topic: string, partition: number) => void,
    signal: AbortSignal,
  ): Promise<void> {
    const cluster = await metadata.metadata({ topics: [...new Set([...positions.values()].map((p) => p.topic))] });
    const failures: string[] = [];
    const wanted = [...positions.values()].map((p) => ({ topic: p.topic, partition: p.partition, offset: p.next }));
    const leaders = await fetchFromLeaders(cluster, pool, wanted, { ...this.options, readCommitted: true }, async (response) => {
      for (const { topic, partitions } of response.topics) {
        for (const part of partitions) {
          const key = `${topic}:${part.partition}`;
          const position = positions.get(key);
          if (!position || signal.aborted) continue;
          if (part.errorCode === OFFSET_OUT_OF_RANGE && part.logStartOffset > position.next) {
            // Records deleted before the position (retention): from the log start, as auto.offset.reset=earliest.
            this.logger.warn({ topic, partition: part.partition, offset: String(position.next), logStart: String(part.logStartOffset) }, "changelog offset out of range: reading from the log start");
            position.next = part.logStartOffset;
            continue;
          }
          if (part.errorCode !== 0) {
            failures.push(`${key}: Kafka error ${part.errorCode}`);
            continue;
          }
          if (part.records === null) continue;
          const batches = new FetchedBatches(topic, part.partition, part.records, part.abortedTransactions ?? [], position.next, position.to);
          if (batches.hasRecords) await onRecords(batches);
          if (batches.next !== undefined && batches.next > position.next) position.next = batches.next;
          if (position.next >= position.to) {
            positions.delete(key);
            onEnd(topic, part.partition);
          }
        }
      }
    });
    if (leaders === 0) throw new Error(`no leader known for ${[...positions.keys()].join(", ")}`);
    if (failures.length > 0) throw new Error(`changelog partitions could not be fetched: ${failures.join("; ")}`);
  }
}
