import { test } from "node:test";
import assert from "node:assert/strict";
import { Consumer, kGetApi, Producer } from "@platformatic/kafka";
import { commitOffsetsInOneRequest, type TxnOffsetCommitRequest, skipLeaveGroup } from "./api-overrides.ts";

type Api = (connection: unknown, ...args: unknown[]) => void;
type GetApi = (name: string, callback: (error: Error | null, api?: Api) => void) => void;

/** Replaces the client's API lookup with one whose APIs record their calls instead of sending anything. */
function recordApis(client: Consumer | Producer): { name: string; args: unknown[] }[] {
  const calls: { name: string; args: unknown[] }[] = [];
  (client as unknown as Record<symbol, GetApi>)[kGetApi] = (name, callback) =>
    callback(null, (_connection, ...args) => {
      calls.push({ name, args: args.slice(0, -1) });
      (args.at(-1) as (error: Error | null) => void)(null);
    });
  return calls;
}

function getApi(client: Consumer | Producer, name: string): Promise<Api> {
  return new Promise((resolve, reject) =>
    (client as unknown as Record<symbol, GetApi>)[kGetApi]!(name, (error, api) => (api ? resolve(api) : reject(error ?? new Error(`no API ${name}`)))),
  );
}

function call(api: Api, ...args: unknown[]): Promise<void> {
  return new Promise((resolve, reject) => api({}, ...args, (error: Error | null) => (error ? reject(error) : resolve())));
}

test("a static member's LeaveGroup is answered without sending it; its other requests go out", async () => {
  const consumer = new Consumer({ clientId: "t", bootstrapBrokers: ["127.0.0.1:1"], groupId: "g", groupInstanceId: "g-1" });
  const calls = recordApis(consumer);
  skipLeaveGroup(consumer);
  await call(await getApi(consumer, "LeaveGroup"), "g", [{ memberId: "m" }]);
  await call(await getApi(consumer, "Heartbeat"), "g", 3, "m", "g-1");
  assert.deepEqual(calls.map((c) => c.name), ["Heartbeat"]);
  await consumer.close();
});

test("a TxnOffsetCommit carries the group instance id and every partition of the commit; without them, the client's own", async () => {
  const producer = new Producer({ clientId: "t", bootstrapBrokers: ["127.0.0.1:1"] });
  const calls = recordApis(producer);
  const all = [{ name: "in", partitions: [0, 1, 2].map((p) => ({ partitionIndex: p, committedOffset: BigInt(10 + p), committedLeaderEpoch: -1 })) }];
  let request: TxnOffsetCommitRequest = { instanceId: "g-1", topics: all };
  commitOffsetsInOneRequest(producer, () => request);
  // (transactionalId, groupId, producerId, producerEpoch, generationId, memberId, groupInstanceId, topics), as the client calls it.
  const commit = await getApi(producer, "TxnOffsetCommit");
  const clients = [{ name: "in", partitions: [{ partitionIndex: 0, committedOffset: 10n, committedLeaderEpoch: 4 }] }];
  await call(commit, "txn", "g", 7n, 0, 3, "m", null, clients);
  request = { instanceId: undefined, topics: undefined };
  await call(commit, "txn", "g", 7n, 0, 3, "m", null, clients);
  await call(await getApi(producer, "EndTxn"), "txn", 7n, 0, true);
  assert.deepEqual(
    calls.map((c) => [c.name, c.name === "TxnOffsetCommit" ? c.args[6] : undefined, c.name === "TxnOffsetCommit" ? c.args[7] : undefined]),
    [
      ["TxnOffsetCommit", "g-1", all],
      ["TxnOffsetCommit", null, clients],
      ["EndTxn", undefined, undefined],
    ],
  );
  await producer.close();
});
