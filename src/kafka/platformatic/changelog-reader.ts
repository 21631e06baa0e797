// Restore's and standby tasks' changelog reads on @platformatic/kafka: Weir's own Fetch requests (version 12,
// sessionless, read_committed) on a connection pool of their own, answered by a parser that keeps each
// partition's record bytes as they came, so that the records are decoded straight into the runtime's sink
// (record-batches.ts) instead of through the client's decoder and a message per record
// (docs/architecture.md, "Restore"). The client still gives the cluster's metadata (leaders, brokers).
import { setTimeout as sleep } from "node:timers/promises";
import { ConnectionPool, Consumer, createAPI, fetchV12, type Reader } from "@platformatic/kafka";
import type { Logger } from "pino";
import type { ChangelogRecords, PartitionRange, PartitionReader, PartitionReaderOptions } from "../port.ts";
import type { ClientSettings } from "../types.ts";
import { baseOptions } from "./options.ts";
import { type AbortedTransaction, FetchedBatches } from "./record-batches.ts";

const FETCH = 1;
const OFFSET_OUT_OF_RANGE = 1;
const READ_COMMITTED = 1;
/** Sessionless (KIP-227): a full fetch request that opens no fetch session on the broker. */
const NO_SESSION_ID = 0;
const NO_SESSION_EPOCH = -1;
/** A read gives up (the caller retries it, then stops the app) after failing this long in a row. */
const maxFailingMs = 120_000;

interface FetchedPartition {
  readonly partition: number;
  readonly errorCode: number;
  readonly logStartOffset: bigint;
  readonly abortedTransactions: AbortedTransaction[] | null;
  /** The partition's record batches, a slice of the response (no copy when it came in one piece). */
  readonly records: Buffer | null;
}

interface FetchResponse {
  readonly errorCode: number;
  readonly topics: { readonly topic: string; readonly partitions: FetchedPartition[] }[];
}

/** Fetch response v12: everything but the record bytes read as the protocol defines it. */
function parseFetchResponse(_correlationId: number, _apiKey: number, _apiVersion: number, reader: Reader): FetchResponse {
  reader.readInt32(); // throttle_time_ms
  const errorCode = reader.readInt16();
  reader.readInt32(); // session_id
  const topics = reader.readArray((r) => ({
    topic: r.readString(),
    partitions: r.readArray((p): FetchedPartition => {
      const partition = p.readInt32();
      const partitionError = p.readInt16();
      p.readInt64(); // high_watermark
      p.readInt64(); // last_stable_offset
      const logStartOffset = p.readInt64();
      const abortedTransactions = p.readNullableArray((a) => ({ producerId: a.readInt64(), firstOffset: a.readInt64() }));
      p.readInt32(); // preferred_read_replica
      // COMPACT_RECORDS: length + 1, 0 for null.
      const size = p.readUnsignedVarInt() - 1;
      const records = size > 0 ? p.buffer.slice(p.position, p.position + size) : null;
      if (size > 0) p.skip(size);
      return { partition, errorCode: partitionError, logStartOffset, abortedTransactions, records };
    }),
  }));
  return { errorCode, topics };
}

const fetchApi = createAPI<Parameters<typeof fetchV12.createRequest>, FetchResponse>(FETCH, 12, fetchV12.createRequest, parseFetchResponse);

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
    const byLeader = new Map<number, Map<string, Position[]>>();
    for (const position of positions.values()) {
      const leader = cluster.topics.get(position.topic)?.partitions[position.partition]?.leader;
      if (leader === undefined || leader < 0) continue;
      let topics = byLeader.get(leader);
      if (!topics) byLeader.set(leader, (topics = new Map<string, Position[]>()));
      topics.set(position.topic, [...(topics.get(position.topic) ?? []), position]);
    }
    if (byLeader.size === 0) throw new Error(`no leader known for ${[...positions.keys()].join(", ")}`);
    const failures: string[] = [];
    // Settled, not raced: a retry must not fetch a partition whose records of this round are still being handed over.
    const fetched = await Promise.allSettled(
      [...byLeader].map(async ([leader, topics]) => {
        const broker = cluster.brokers.get(leader);
        if (!broker) throw new Error(`broker ${leader}, a changelog partition's leader, is not in the cluster's metadata`);
        const connection = await pool.get(broker);
        const request = [...topics].map(([topic, list]) => ({
          topicId: topic,
          partitions: list.map((p) => ({ partition: p.partition, currentLeaderEpoch: -1, fetchOffset: p.next, lastFetchedEpoch: -1, partitionMaxBytes: this.options.maxBytesPerPartition })),
        }));
        const response = await fetchApi.async(connection, this.options.maxWaitTimeMs, 1, this.options.maxBytes, READ_COMMITTED, NO_SESSION_ID, NO_SESSION_EPOCH, request, [], "");
        if (response.errorCode !== 0) throw new Error(`the changelog fetch failed with Kafka error ${response.errorCode}`);
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
      }),
    );
    for (const result of fetched) if (result.status === "rejected") throw result.reason;
    if (failures.length > 0) throw new Error(`changelog partitions could not be fetched: ${failures.join("; ")}`);
  }
}
