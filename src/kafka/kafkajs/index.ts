// The kafkajs adapter: the project's original client. No KIP-447, so exactly-once uses one transactional
// producer per task (docs/architecture.md, "Exactly-once on kafkajs").
import type { Logger } from "pino";
import type { KafkaClient, KafkaClientFactory } from "../port.ts";
import type { ClientSettings } from "../types.ts";
import { KafkajsTopicAdmin } from "./admin.ts";
import { createKafka } from "./client.ts";
import { KafkajsGroupConsumer } from "./consumer.ts";
import { KafkajsGlobalConsumer } from "./global-consumer.ts";
import { KafkajsPartitionReader } from "./partition-reader.ts";
import { KafkajsSharedProducer, TransactionalTaskOutput } from "./task-output.ts";

export const kafkajsClient: KafkaClientFactory = (settings: ClientSettings, logger: Logger): KafkaClient => {
  const kafka = createKafka(settings, logger);
  return {
    name: "kafkajs",
    groupMetadataInTransactions: false,
    admin: () => new KafkajsTopicAdmin(kafka),
    groupConsumer: (options, log) => new KafkajsGroupConsumer(kafka, options, log),
    transactionalOutput: (transactionalId, groupId, timeoutMs) => new TransactionalTaskOutput(kafka, transactionalId, groupId, timeoutMs),
    sharedProducer: () => new KafkajsSharedProducer(kafka),
    globalConsumer: (options, log) => new KafkajsGlobalConsumer(kafka, options, log),
    partitionReader: (options, log) => new KafkajsPartitionReader(kafka, options, log),
    close: async () => {},
  };
};
