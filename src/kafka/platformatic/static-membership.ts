// Static membership (group.instance.id, KIP-345) where @platformatic/kafka 2.12 falls short of the Java client:
// a closing static member must not send LeaveGroup, and a transactional offset commit must name the instance.
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

/**
 * Every TxnOffsetCommit of this producer carries the group instance id `instanceId()` returns (null: none).
 * The client sends null, which the coordinator refuses for a static member's generation (its member id is
 * bound to the instance id), so exactly-once commits of a static member would all fail.
 */
export function commitOffsetsAsInstance(producer: Producer, instanceId: () => string | undefined): void {
  // TxnOffsetCommit(transactionalId, groupId, producerId, producerEpoch, generationId, memberId, groupInstanceId, topics)
  const groupInstanceIdArgument = 6;
  wrapApi(producer, "TxnOffsetCommit", (api) => (connection, ...args) => {
    const id = instanceId();
    if (id !== undefined) args[groupInstanceIdArgument] = id;
    api(connection, ...args);
  });
}
