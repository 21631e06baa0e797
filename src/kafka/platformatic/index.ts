// The @platformatic/kafka adapter, Weir's default client. Topic administration (and reading the group's
// assignment user data back) still goes through kafkajs's admin client: it is off the hot path.
import { Admin as PlatformaticAdmin, Consumer } from "@platformatic/kafka";
import type { Logger } from "pino";
import { createKafka } from "../kafkajs/client.ts";
import type { KafkaClient, KafkaClientFactory } from "../port.ts";
import type { ClientSettings } from "../types.ts";
import { PlatformaticTopicAdmin } from "./admin.ts";
import { PlatformaticGroupConsumer } from "./group-consumer.ts";
import { baseOptions } from "./options.ts";
import { PlatformaticChangelogReader } from "./changelog-reader.ts";
import { PlatformaticPartitionReader } from "./partition-reader.ts";
import { skipLeaveGroup } from "./api-overrides.ts";
import { PlatformaticSharedProducer, PlatformaticTransactionalOutput } from "./task-output.ts";

export const platformaticClient: KafkaClientFactory = (settings: ClientSettings, logger: Logger): KafkaClient => {
  const kafka = createKafka(settings, logger);
  // Made on the first read of the group's assignment (which may still be running when the app stops): once
  // closed, no new one is made, and one being connected is awaited and disconnected, so no socket outlives close().
  let describer: Promise<ReturnType<typeof kafka.admin>> | undefined;
  let closed = false;
  let group: PlatformaticGroupConsumer | undefined;
  let groupIdOfCoordinator: string | undefined;
  let coordinatorFinder: PlatformaticAdmin | undefined;
  /** The group coordinator: the running group consumer knows it; without one, FindCoordinator. */
  const coordinatorId = async (groupId: string): Promise<number> => {
    const known = group?.coordinatorId();
    if (known !== undefined && known !== null) return known;
    if (closed) throw new Error("the Kafka client is closed");
    coordinatorFinder ??= new PlatformaticAdmin(baseOptions(settings, "-coordinator"));
    groupIdOfCoordinator = groupId;
    const [found] = await coordinatorFinder.findCoordinator({ keyType: 0, keys: [groupIdOfCoordinator] });
    if (!found) throw new Error(`no coordinator found for group ${groupId}`);
    return found.nodeId;
  };
  return {
    name: "platformatic",
    // Exactly-once v2: one transactional producer per instance, offsets committed with the generation.
    groupMetadataInTransactions: true,
    admin: () => new PlatformaticTopicAdmin(kafka, settings),
    groupConsumer: (options, log) => {
      const consumer = new Consumer({
        ...baseOptions(settings),
        groupId: options.groupId,
        autocommit: false,
        isolationLevel: options.readCommitted ? 1 : 0,
        maxWaitTime: options.maxWaitTimeMs,
        sessionTimeout: options.sessionTimeoutMs,
        heartbeatInterval: options.heartbeatIntervalMs,
        rebalanceTimeout: options.rebalanceTimeoutMs,
        ...(options.groupInstanceId !== undefined ? { groupInstanceId: options.groupInstanceId } : {}),
      });
      // Static membership: closing never sends LeaveGroup (api-overrides.ts).
      if (options.groupInstanceId !== undefined) skipLeaveGroup(consumer);
      group = new PlatformaticGroupConsumer(consumer, settings, options, log, () => {
        if (closed) return Promise.reject(new Error("the Kafka client is closed"));
        describer ??= (async () => {
          const admin = kafka.admin();
          await admin.connect();
          return admin;
        })();
        const made = describer;
        // A failed connect is tried again on the next read.
        made.catch(() => {
          if (describer === made) describer = undefined;
        });
        return made;
      });
      return group;
    },
    transactionalOutput: (transactionalId, groupId, timeoutMs, metadata) =>
      new PlatformaticTransactionalOutput(settings, transactionalId, groupId, timeoutMs, { metadata, coordinatorId: () => coordinatorId(groupId) }),
    sharedProducer: () => new PlatformaticSharedProducer(settings),
    globalConsumer: (options, log) => new PlatformaticPartitionReader(settings, options, log),
    partitionReader: (options, log) => new PlatformaticChangelogReader(settings, options, log),
    close: async () => {
      closed = true;
      const [admin, finder] = [describer, coordinatorFinder];
      describer = undefined;
      coordinatorFinder = undefined;
      await admin?.then((a) => a.disconnect()).catch(() => undefined);
      await finder?.close().catch(() => undefined);
    },
  };
};
