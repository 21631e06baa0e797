// The transaction timeout the broker holds for a task's transactional producer is Weir's transactionTimeoutMs,
// on both clients, whatever the request timeout. It bounds how long a transaction a killed instance left open
// holds the partitions' last stable offset when nothing aborts it sooner (docs/architecture.md, "Exactly-once,
// per client"). The @platformatic/kafka adapter once sent the larger of it and the request timeout (30 s), and
// failover after a SIGKILL took 30 s or more. Read back with Kafka's own kafka-transactions tool.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { pino } from "pino";
import { createKafkaClient, kafkaClientNames } from "../src/kafka/index.ts";
import { connection, TestTopics, uniqueName } from "./helpers/cluster.ts";
import { describeTransaction } from "./helpers/transactions.ts";

const topics = new TestTopics();
after(() => topics.drop());

for (const client of kafkaClientNames) {
  test(`the ${client} adapter's transactions time out after transactionTimeoutMs, not the longer request timeout`, async () => {
    const topic = await topics.create(`txn-timeout-${client}`, 1);
    const transactionalId = uniqueName(`weir-it-txn-timeout-${client}`);
    const kafka = createKafkaClient(client, { clientId: "weir-it-txn-timeout", brokers: connection().brokers, connectionTimeoutMs: 3000, requestTimeoutMs: 30000 }, pino({ level: "warn" }));
    const output = kafka.transactionalOutput(transactionalId, uniqueName("weir-it-txn-timeout-group"), 10000);
    try {
      await output.init();
      await output.commit([{ topic, partition: 0, key: Buffer.from("k"), value: Buffer.from("v"), timestamp: Date.now(), headers: {} }], []);
    } finally {
      await output.close();
      await kafka.close();
    }
    assert.equal(describeTransaction(transactionalId).TransactionTimeoutMs, "10000");
  });
}
