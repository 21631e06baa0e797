// The one module of bench/ that imports kafkajs. The baselines (a raw kafkajs loop) and the data loaders
// measure the client itself, so they use it directly; "only src/kafka imports kafkajs" is the library's rule.
import { Kafka, logLevel } from "kafkajs";

export { CompressionTypes, Partitioners } from "kafkajs";
export type { Consumer, EachBatchPayload, Kafka, Message, Producer, Transaction } from "kafkajs";

export function kafkaClient(brokers: readonly string[], clientId: string): Kafka {
  return new Kafka({ clientId, brokers: [...brokers], logLevel: logLevel.ERROR, connectionTimeout: 5000, requestTimeout: 60000 });
}
