// The transaction timeout the broker holds for a task's transactional producer is Weir's transactionTimeoutMs,
// on both clients, whatever the request timeout. It is how long a transaction a killed instance left open holds
// the partitions' last stable offset, so how long the task's new owner waits (docs/architecture.md,
// "Exactly-once, per client"). The @platformatic/kafka adapter once sent the larger of it and the request
// timeout (30 s), and failover after a SIGKILL took 30 s or more. Read back with Kafka's own
// kafka-transactions tool.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { pino } from "pino";
import { createKafkaClient, kafkaClientNames } from "../src/kafka/index.ts";
import { connection, root, TestTopics, uniqueName } from "./helpers/cluster.ts";

const topics = new TestTopics();
after(() => topics.drop());

/** The TransactionTimeoutMs column of `kafka-transactions describe` for `transactionalId`. */
function describedTimeoutMs(transactionalId: string): number {
  const out = execFileSync(
    join(root, "scripts/kafka.sh"),
    ["tool", "org.apache.kafka.tools.TransactionsCommand", "--bootstrap-server", connection().brokers[0]!, "describe", "--transactional-id", transactionalId],
    { encoding: "utf8" },
  );
  const [header, row] = out.trim().split("\n").map((line) => line.split("\t").map((cell) => cell.trim()));
  const column = header?.indexOf("TransactionTimeoutMs") ?? -1;
  assert.ok(column >= 0 && row, `kafka-transactions describe printed no timeout for ${transactionalId}:\n${out}`);
  return Number(row[column]);
}

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
    assert.equal(describedTimeoutMs(transactionalId), 10000);
  });
}
