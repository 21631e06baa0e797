// The only folder that imports kafkajs. The runtime uses these classes and types, never the client.
export { createKafka } from "./client.ts";
export { TopicAdmin } from "./admin.ts";
export { GroupConsumer, type Assignment, type BatchControl, type BatchEnd, type BatchMessage, type GroupConsumerOptions, type PartitionBatch } from "./consumer.ts";
export { GlobalConsumer, type GlobalConsumerOptions } from "./global-consumer.ts";
export type { GroupAssignmentPlanner, GroupPlan, MemberSubscription } from "./assignor.ts";
export { murmur2, partitionForKey } from "./partitioner.ts";
export { SharedProducer, TransactionalTaskOutput, type TaskOutput } from "./task-output.ts";
export type { ClientSettings, ConsumedRecord, KafkaHeaders, ProducedRecord, TopicPartitionOffset, TopicSpec } from "./types.ts";
export type { Kafka } from "kafkajs";
