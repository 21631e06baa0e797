// The only folder that imports a Kafka client library. The runtime sees the port (port.ts) and picks an
// adapter by name: @platformatic/kafka (the default) or kafkajs.
import type { Logger } from "pino";
import { kafkajsClient } from "./kafkajs/index.ts";
import { platformaticClient } from "./platformatic/index.ts";
import type { KafkaClient, KafkaClientName } from "./port.ts";
import type { ClientSettings } from "./types.ts";

export const kafkaClientNames: readonly KafkaClientName[] = ["platformatic", "kafkajs"];

export function createKafkaClient(name: KafkaClientName, settings: ClientSettings, logger: Logger): KafkaClient {
  return name === "kafkajs" ? kafkajsClient(settings, logger) : platformaticClient(settings, logger);
}

export type {
  Assignment,
  BatchControl,
  BatchEnd,
  BatchMessage,
  ChangelogRecords,
  ChangelogSink,
  GlobalConsumer,
  GlobalConsumerOptions,
  GroupConsumer,
  GroupConsumerOptions,
  GroupMetadata,
  KafkaClient,
  KafkaClientName,
  PartitionBatch,
  PartitionRange,
  PartitionReader,
  PartitionReaderOptions,
  SharedProducer,
  TaskOutput,
  TopicAdmin,
} from "./port.ts";
export type { GroupAssignmentPlanner, GroupPlan, MemberSubscription } from "./planner.ts";
export { changelogRecordsOf } from "./changelog-records.ts";
export { murmur2, partitionForKey } from "./partitioner.ts";
export type { ClientSettings, ConsumedRecord, KafkaHeaders, ProducedRecord, TopicPartitionOffset, TopicSpec } from "./types.ts";
