// Keyed records land where Kafka's own Java partitioner puts them, on both clients: the partitions are
// computed by the kafka-clients jar of the Kafka distribution the tests run (BuiltInPartitioner.partitionForKey),
// then compared with Weir's partitionForKey and with where each adapter's producer actually wrote the records.
// @platformatic/kafka's own default partitioner is not Java-compatible; the adapter must not use it.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { createKafkaClient, kafkaClientNames, partitionForKey } from "../src/kafka/index.ts";
import { readTopic } from "../src/kafka/tools.ts";
import { SeededRandom } from "../topologies/lib/random.ts";
import { connection, root, TestTopics } from "./helpers/cluster.ts";

const partitionCounts = [1, 3, 6, 7, 12, 100];
const random = new SeededRandom(4242);
/** Text keys as Weir's string serde writes them, and arbitrary bytes of every tail length. */
const keys: Buffer[] = [
  ...Array.from({ length: 1000 }, (_, i) => Buffer.from(`customer-${i}`)),
  ...Array.from({ length: 1000 }, (_, i) => Buffer.from(Array.from({ length: i % 41 }, () => Math.floor(random.next() * 256)))),
];

const javaSource = `
import java.io.*;
import java.util.*;
import org.apache.kafka.clients.producer.internals.BuiltInPartitioner;
public class Partitions {
  public static void main(String[] args) throws IOException {
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
    StringBuilder out = new StringBuilder();
    int[] counts = Arrays.stream(args).mapToInt(Integer::parseInt).toArray();
    for (String line; (line = in.readLine()) != null;) {
      byte[] key = HexFormat.of().parseHex(line.trim());
      for (int n : counts) out.append(BuiltInPartitioner.partitionForKey(key, n)).append(' ');
      out.append('\\n');
    }
    System.out.print(out);
  }
}
`;

/** Per key, its partition for each of `partitionCounts`, as the Java producer computes it. */
let java: number[][] = [];
const topics = new TestTopics();

before(() => {
  const dir = mkdtempSync(join(tmpdir(), "weir-partitioner-"));
  try {
    const file = join(dir, "Partitions.java");
    writeFileSync(file, javaSource);
    const classpath = execFileSync(join(root, "scripts/kafka.sh"), ["classpath"], { encoding: "utf8" }).trim();
    const javaBin = process.env.JAVA_HOME ? join(process.env.JAVA_HOME, "bin/java") : "java";
    const stdout = execFileSync(javaBin, ["-cp", classpath, file, ...partitionCounts.map(String)], {
      input: keys.map((k) => k.toString("hex")).join("\n") + "\n",
      encoding: "utf8",
    });
    java = stdout.trim().split("\n").map((line) => line.trim().split(" ").map(Number));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  assert.equal(java.length, keys.length);
});

after(() => topics.drop());

test("Weir's partitionForKey gives Java's partition for 2,000 keys and 6 partition counts", () => {
  for (let i = 0; i < keys.length; i++) {
    partitionCounts.forEach((n, j) => assert.equal(partitionForKey(keys[i]!, n), java[i]![j], `key ${keys[i]!.toString("hex")}, ${n} partitions`));
  }
});

for (const client of kafkaClientNames) {
  test(`the ${client} adapter's producer writes each keyed record to Java's partition`, async () => {
    const n = 7;
    const topic = await topics.create(`partitioner-${client}`, n);
    const kafka = createKafkaClient(client, { clientId: "weir-it-partitioner", brokers: connection().brokers, connectionTimeoutMs: 3000, requestTimeoutMs: 30000 }, pino({ level: "warn" }));
    const producer = kafka.sharedProducer();
    await producer.connect();
    try {
      const output = producer.taskOutput(async () => {});
      await output.commit(
        keys.map((key, i) => ({ topic, key, value: Buffer.from(String(i)), timestamp: Date.now(), headers: {} })),
        [],
      );
    } finally {
      await producer.disconnect();
      await kafka.close();
    }
    const read = await readTopic(connection(), topic, { count: keys.length, timeoutMs: 30_000 });
    assert.equal(read.length, keys.length);
    const column = partitionCounts.indexOf(n);
    let wrong = 0;
    for (const record of read) {
      const i = Number(record.value!.toString());
      if (record.partition !== java[i]![column]) wrong += 1;
    }
    assert.equal(wrong, 0, `${wrong} of ${keys.length} records on another partition than Java's`);
  });
}
