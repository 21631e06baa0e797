// Weir's own Fetch request on @platformatic/kafka (version 12: topics by name, which every broker since
// Kafka 2.7 answers; sessionless, so the broker keeps no fetch session): the client's `createAPI` and request
// writer, with a response parser that keeps each partition's record bytes as they came, for
// record-batches.ts to decode without the client's object per record (docs/architecture.md, "The Kafka
// client port").
import { createAPI, fetchV12, type ClusterMetadata, type Connection, type ConnectionPool, type Reader } from "@platformatic/kafka";
import type { AbortedTransaction } from "./record-batches.ts";

const FETCH = 1;
/** Sessionless (KIP-227): a full fetch request that opens no fetch session on the broker. */
const NO_SESSION_ID = 0;
const NO_SESSION_EPOCH = -1;

export const OFFSET_OUT_OF_RANGE = 1;

export interface FetchedPartition {
  readonly partition: number;
  readonly errorCode: number;
  readonly highWatermark: bigint;
  readonly logStartOffset: bigint;
  readonly abortedTransactions: AbortedTransaction[] | null;
  /** The partition's record batches, a slice of the response (no copy when it came in one piece). */
  readonly records: Buffer | null;
}

export interface FetchResponse {
  readonly errorCode: number;
  readonly topics: { readonly topic: string; readonly partitions: FetchedPartition[] }[];
}

export interface FetchTopic {
  readonly topic: string;
  readonly partitions: readonly { readonly partition: number; readonly offset: bigint }[];
}

export interface FetchLimits {
  readonly maxWaitTimeMs: number;
  /** All partitions of the response together (Kafka's fetch.max.bytes). */
  readonly maxBytes: number;
  readonly maxBytesPerPartition: number;
  readonly readCommitted: boolean;
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
      const highWatermark = p.readInt64();
      p.readInt64(); // last_stable_offset
      const logStartOffset = p.readInt64();
      const abortedTransactions = p.readNullableArray((a) => ({ producerId: a.readInt64(), firstOffset: a.readInt64() }));
      p.readInt32(); // preferred_read_replica
      // COMPACT_RECORDS: length + 1, 0 for null.
      const size = p.readUnsignedVarInt() - 1;
      const records = size > 0 ? p.buffer.slice(p.position, p.position + size) : null;
      if (size > 0) p.skip(size);
      return { partition, errorCode: partitionError, highWatermark, logStartOffset, abortedTransactions, records };
    }),
  }));
  return { errorCode, topics };
}

const fetchApi = createAPI<Parameters<typeof fetchV12.createRequest>, FetchResponse>(FETCH, 12, fetchV12.createRequest, parseFetchResponse);

/** One Fetch request to the leader `connection` leads to; a response with an error of its own rejects. */
async function fetchRecords(connection: Connection, topics: readonly FetchTopic[], limits: FetchLimits): Promise<FetchResponse> {
  const request = topics.map((t) => ({
    topicId: t.topic,
    partitions: t.partitions.map((p) => ({ partition: p.partition, currentLeaderEpoch: -1, fetchOffset: p.offset, lastFetchedEpoch: -1, partitionMaxBytes: limits.maxBytesPerPartition })),
  }));
  const response = await fetchApi.async(connection, limits.maxWaitTimeMs, 1, limits.maxBytes, limits.readCommitted ? 1 : 0, NO_SESSION_ID, NO_SESSION_EPOCH, request, [], "");
  if (response.errorCode !== 0) throw new Error(`a fetch failed with Kafka error ${response.errorCode}`);
  return response;
}

/**
 * One Fetch to the leader of each wanted partition (partitions without a known leader are left out), in
 * parallel, each response handed to `handle` as it comes. Settled, not raced: the first failure is thrown
 * only once every leader's response is handled, so a retry never fetches a partition whose records of this
 * round are still being handed over. Resolves with how many leaders were asked.
 */
export async function fetchFromLeaders(
  cluster: ClusterMetadata,
  pool: ConnectionPool,
  wanted: Iterable<{ readonly topic: string; readonly partition: number; readonly offset: bigint }>,
  limits: FetchLimits,
  handle: (response: FetchResponse) => Promise<void>,
): Promise<number> {
  const byLeader = new Map<number, Map<string, { partition: number; offset: bigint }[]>>();
  for (const w of wanted) {
    const leader = cluster.topics.get(w.topic)?.partitions[w.partition]?.leader;
    if (leader === undefined || leader < 0) continue;
    let topics = byLeader.get(leader);
    if (!topics) byLeader.set(leader, (topics = new Map<string, { partition: number; offset: bigint }[]>()));
    let partitions = topics.get(w.topic);
    if (!partitions) topics.set(w.topic, (partitions = []));
    partitions.push({ partition: w.partition, offset: w.offset });
  }
  const fetched = await Promise.allSettled(
    [...byLeader].map(async ([leader, topics]) => {
      const broker = cluster.brokers.get(leader);
      if (!broker) throw new Error(`broker ${leader}, a partition's leader, is not in the cluster's metadata`);
      const connection = await pool.get(broker);
      await handle(await fetchRecords(connection, [...topics].map(([topic, partitions]) => ({ topic, partitions })), limits));
    }),
  );
  for (const result of fetched) if (result.status === "rejected") throw result.reason;
  return byLeader.size;
}
