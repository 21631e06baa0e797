// The client's API calls Weir overrides, where @platformatic/kafka 2.12 falls short of the Java client: in static
// membership (group.instance.id, KIP-345) a closing static member must not send LeaveGroup, and in transactional
// offset commits a transaction's offsets go out in one TxnOffsetCommit that names the instance.
// docs/architecture.md, "Static membership, start-up and shutdown".
import { kGetApi, type Consumer, type Producer } from "@platformatic/kafka";

type ApiCallback = (error: Error | null, result?: unknown) => void;
type Api = (connection: unknown, ...args: unknown[]) => void;
type GetApi = (name: string, callback: (error: Error | null, api?: Api) => void) => void;

/** Replaces the client's API lookup on one client instance, so that `name`'s calls go through `wrap`. */
function wrapApi(client: Consumer | Producer, name: string, wrap: (api: Api) => Api): void {
  const target = client as unknown as Record<symbol, GetApi>;
  const original = target[kGetApi]!.bind(client);
  target[kGetApi] = (apiName, callback) => original(apiName, (error, api) => callback(error, apiName === name && api ? wrap(api) : api));
}

/**
 * A static member's close sends no LeaveGroup, as the Java consumer with group.instance.id: the broker keeps
 * its membership (and the group its assignment) until the session timeout, so a restart under the same id
 * within it rejoins without a rebalance. The client closes the same way otherwise (heartbeat cancelled,
 * connections closed); without this its close sends LeaveGroup with the member id and the broker rebalances.
 */
export function skipLeaveGroup(consumer: Consumer): void {
  wrapApi(consumer, "LeaveGroup", () => (_connection, ...args) => {
    const callback = args[args.length - 1];
    if (typeof callback === "function") (callback as ApiCallback)(null, { members: [] });
  });
}

/** One topic of a TxnOffsetCommit request, as the client's request writer takes it. */
export interface TxnOffsetCommitTopic {
  readonly name: string;
  readonly partitions: readonly { readonly partitionIndex: number; readonly committedOffset: bigint; readonly committedLeaderEpoch: number }[];
}

/** What the next TxnOffsetCommit of a producer sends in place of the client's own arguments. */
export interface TxnOffsetCommitRequest {
  /** The group instance id (a static member's); undefined: none (the client's null). */
  readonly instanceId: string | undefined;
  /** Every partition of the transaction's offsets; undefined: the one partition the client was given. */
  readonly topics: readonly TxnOffsetCommitTopic[] | undefined;
}

/**
 * Every TxnOffsetCommit of this producer goes out as `request()` says, as Kafka's Java producer sends it:
 * - with the member's group instance id: the client sends null, which the coordinator refuses for a static
 *   member's generation (its member id is bound to the instance id), so exactly-once commits of a static
 *   member would all fail;
 * - with every partition of the transaction in one request: the client sends one request (and one round
 *   trip, waited for in turn) per partition, and an instance commits the offsets of all its tasks at once.
 */
export function commitOffsetsInOneRequest(producer: Producer, request: () => TxnOffsetCommitRequest): void {
  // TxnOffsetCommit(transactionalId, groupId, producerId, producerEpoch, generationId, memberId, groupInstanceId, topics)
  const groupInstanceIdArgument = 6;
  const topicsArgument = 7;
  wrapApi(producer, "TxnOffsetCommit", (api) => (connection, ...args) => {
    const { instanceId, topics } = request();
    if (instanceId !== undefined) args[groupInstanceIdArgument] = instanceId;
    if (topics !== undefined) args[topicsArgument] = topics;
    api(connection, ...args);
  });
}
