// `weir topics create|list|describe`, `weir produce` and `weir tail`: create the topics an app needs, write its
// input and read its output, with the serdes of the app's topology. The cluster is reached through src/kafka.
import { createInterface } from "node:readline";
import type { Command } from "commander";
import { describeTopic, TopicWriter, type Connection, type RecordToWrite } from "../kafka/tools.ts";
import { createTopicsIfMissing, describeTopics, listTopicNames, tailTopic } from "../kafka/topic-tools.ts";
import { ensureBrokerReachable } from "../kafka/reachability.ts";
import { partitionForKey } from "../kafka/partitioner.ts";
import type { KafkaHeaders } from "../kafka/types.ts";
import type { AppDefinition } from "../runtime/app-definition.ts";
import { WeirError } from "../runtime/errors.ts";
import { loadApp } from "./load-module.ts";
import { formatOutputLine, parseInputLine, serializeRecord } from "./record-lines.ts";
import { chooseSerdes, serdeNames, topologyTopics } from "./topic-serdes.ts";

interface ConnectionFlags {
  readonly bootstrapServers?: string;
}

/** Flag, then WEIR_BOOTSTRAP_SERVERS, then the module's own setting, then KAFKA_BOOTSTRAP_SERVERS; checked to accept a connection. */
async function connectionFor(flags: ConnectionFlags, definition?: AppDefinition): Promise<Connection> {
  const fromModule = definition?.settings.bootstrapServers;
  const candidates = [flags.bootstrapServers, process.env.WEIR_BOOTSTRAP_SERVERS, Array.isArray(fromModule) ? fromModule.join(",") : fromModule, process.env.KAFKA_BOOTSTRAP_SERVERS];
  const bootstrap = candidates.find((v): v is string => typeof v === "string" && v.trim() !== "");
  if (bootstrap === undefined) {
    throw new WeirError(
      "WEIR_CONFIG_INVALID",
      "bootstrapServers is missing: pass --bootstrap-servers or set KAFKA_BOOTSTRAP_SERVERS (`weir dev` starts a local broker and prints the export line)",
    );
  }
  const brokers = bootstrap.split(",").map((b) => b.trim()).filter((b) => b.length > 0);
  await ensureBrokerReachable(brokers);
  return { brokers, clientId: "weir-cli" };
}

const bootstrapHelp = "comma-separated (env WEIR_BOOTSTRAP_SERVERS, then the module's, then KAFKA_BOOTSTRAP_SERVERS)";

function wholeNumber(value: string): number {
  if (!/^-?\d+$/.test(value)) throw new WeirError("WEIR_CONFIG_INVALID", `expected a whole number, got "${value}"`);
  return Number(value);
}

function collectSetting(value: string, previous: Record<string, string>): Record<string, string> {
  const eq = value.indexOf("=");
  if (eq <= 0) throw new WeirError("WEIR_CONFIG_INVALID", `--config takes name=value (e.g. cleanup.policy=compact), got "${value}"`);
  return { ...previous, [value.slice(0, eq)]: value.slice(eq + 1) };
}

function printLine(line: string): void {
  process.stdout.write(`${line}\n`);
}

export function addTopicCommands(program: Command): void {
  const topics = program.command("topics").description("create, list and describe topics");

  topics
    .command("list")
    .description("print the cluster's topic names, one a line")
    .option("--all", "also Kafka's own topics (__consumer_offsets, __transaction_state)")
    .option("--bootstrap-servers <list>", bootstrapHelp)
    .action(async (flags: ConnectionFlags & { all?: boolean }) => {
      for (const name of await listTopicNames(await connectionFor(flags), flags.all === true)) printLine(name);
    });

  topics
    .command("describe")
    .description("print each topic's partitions (leader, replicas, in-sync replicas) and its topic-level settings")
    .argument("<topics...>")
    .option("--bootstrap-servers <list>", bootstrapHelp)
    .action(async (names: string[], flags: ConnectionFlags) => {
      const details = await describeTopics(await connectionFor(flags), names);
      for (const topic of details) {
        const settings = Object.entries(topic.config).map(([k, v]) => `${k}=${v}`);
        printLine(`${topic.name}\tpartitions=${topic.partitions.length}\treplication=${topic.partitions[0]?.replicas.length ?? 0}${settings.length ? `\t${settings.join(" ")}` : ""}`);
        for (const p of topic.partitions) printLine(`  partition ${p.partition}\tleader ${p.leader}\treplicas ${p.replicas.join(",")}\tisr ${p.isr.join(",")}`);
      }
      const missing = names.filter((n) => !details.some((d) => d.name === n));
      if (missing.length > 0) throw new WeirError("WEIR_TOPIC_MISSING", `no topic ${missing.join(", ")} (weir topics create ${missing.join(" ")})`);
    });

  topics
    .command("create")
    .description("create topics that do not exist yet (existing ones are left as they are and named)")
    .argument("[topics...]")
    .option("--for <module>", "also every topic the module's topology reads or writes (inputs, global tables, outputs)")
    .option("--partitions <n>", "partition count (default: the broker's num.partitions)", wholeNumber)
    .option("--replication-factor <n>", "replicas per partition (default: the broker's default.replication.factor)", wholeNumber)
    .option("--config <name=value>", "a topic setting, e.g. cleanup.policy=compact (repeatable)", collectSetting, {})
    .option("--bootstrap-servers <list>", bootstrapHelp)
    .action(async (names: string[], flags: ConnectionFlags & { for?: string; partitions?: number; replicationFactor?: number; config: Record<string, string> }) => {
      const definition = flags.for === undefined ? undefined : await loadApp(flags.for);
      const all = [...new Set([...names, ...(definition ? topologyTopics(definition) : [])])];
      if (all.length === 0) throw new WeirError("WEIR_CONFIG_INVALID", "name the topics to create, or pass --for <module>");
      const specs = all.map((name) => ({ name, partitions: flags.partitions ?? -1, replicationFactor: flags.replicationFactor ?? -1, config: flags.config }));
      const created = new Set(await createTopicsIfMissing(await connectionFor(flags, definition), specs));
      for (const name of all) printLine(`${created.has(name) ? "created" : "exists "}\t${name}`);
    });
}

interface SerdeFlags extends ConnectionFlags {
  readonly module?: string;
  readonly keySerde?: string;
  readonly valueSerde?: string;
}

function addSerdeOptions(command: Command): Command {
  return command
    .option("--module <module>", "a topology module: the serdes of the topology's source, global table or sink of this topic")
    .option("--key-serde <name>", `overrides the key serde: ${serdeNames}`)
    .option("--value-serde <name>", "overrides the value serde (same names)")
    .option("--bootstrap-servers <list>", bootstrapHelp);
}

async function serdeSetup(topic: string, flags: SerdeFlags) {
  const definition = flags.module === undefined ? undefined : await loadApp(flags.module);
  const serdesOfTopic = chooseSerdes(topic, { definition, modulePath: flags.module, keySerde: flags.keySerde, valueSerde: flags.valueSerde });
  return { definition, serdesOfTopic };
}

export function addProduceCommand(program: Command): void {
  addSerdeOptions(
    program
      .command("produce")
      .description(
        'write records read from stdin, one a line: {"key":…,"value":…,"timestamp":…} (also "partition", "headers") or key<TAB>value. ' +
          "Keyed records go to the partition Kafka's default partitioner (murmur2) picks, as the Java clients and Weir do",
      )
      .argument("<topic>"),
  ).action(async (topic: string, flags: SerdeFlags) => {
    const { definition, serdesOfTopic } = await serdeSetup(topic, flags);
    const connection = await connectionFor(flags, definition);
    const partitions = (await describeTopic(connection, topic)).partitions;
    if (partitions === undefined) throw new WeirError("WEIR_TOPIC_MISSING", `no topic ${topic} (weir topics create ${topic})`);
    const records: RecordToWrite[] = [];
    let lineNumber = 0;
    for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
      lineNumber += 1;
      const input = parseInputLine(line, lineNumber);
      if (!input) continue;
      const { key, value } = serializeRecord(input, serdesOfTopic, topic, lineNumber);
      if (input.partition !== undefined && input.partition >= partitions) {
        throw new WeirError("WEIR_CONFIG_INVALID", `input line ${lineNumber}: ${topic} has ${partitions} partitions, got partition ${input.partition}`);
      }
      records.push({
        key,
        value,
        partition: input.partition ?? (key === null ? undefined : partitionForKey(key, partitions)),
        ...(input.timestamp !== undefined ? { timestamp: input.timestamp } : {}),
        ...(input.headers !== undefined ? { headers: Object.fromEntries(Object.entries(input.headers).map(([k, v]) => [k, Buffer.from(v, "utf8")])) } : {}),
      });
    }
    const writer = new TopicWriter(connection);
    await writer.connect();
    try {
      await writer.write(topic, records);
    } finally {
      await writer.close();
    }
    process.stderr.write(`weir: wrote ${records.length} record${records.length === 1 ? "" : "s"} to ${topic}\n`);
  });
}

function headerText(headers: KafkaHeaders): Record<string, string> | undefined {
  const entries = Object.entries(headers).filter((e): e is [string, Buffer] => e[1] !== undefined);
  if (entries.length === 0) return undefined;
  return Object.fromEntries(entries.map(([k, v]) => [k, v.toString("utf8")]));
}

export function addTailCommand(program: Command): void {
  addSerdeOptions(
    program
      .command("tail")
      .description("print a topic's records as JSON lines {partition, offset, timestamp, key, value}, keys and values decoded (committed records only)")
      .argument("<topic>")
      .option("--from-beginning", "from each partition's first record (default: only records written from now on)")
      .option("--max <n>", "exit after this many records", wholeNumber)
      .option("--read-uncommitted", "also records of aborted and open transactions"),
  ).action(async (topic: string, flags: SerdeFlags & { fromBeginning?: boolean; max?: number; readUncommitted?: boolean }) => {
    const { definition, serdesOfTopic } = await serdeSetup(topic, flags);
    const connection = await connectionFor(flags, definition);
    if ((await describeTopic(connection, topic)).partitions === undefined) throw new WeirError("WEIR_TOPIC_MISSING", `no topic ${topic} (weir topics create ${topic})`);
    if (flags.max !== undefined && flags.max < 1) throw new WeirError("WEIR_CONFIG_INVALID", `--max must be ≥ 1, got ${flags.max}`);
    let printed = 0;
    let done = false;
    let settle!: (error?: Error) => void;
    const finished = new Promise<void>((resolve, reject) => (settle = (error) => (error === undefined ? resolve() : reject(error))));
    const finish = (error?: Error) => {
      done = true;
      settle(error);
    };
    const decode = async (data: Buffer | null, field: "key" | "value") => {
      if (data === null) return null;
      const serde = serdesOfTopic[field];
      await serde.prepareDeserialize?.(data, topic);
      return serde.deserialize(data, topic);
    };
    const tail = await tailTopic(connection, topic, {
      fromBeginning: flags.fromBeginning === true,
      readCommitted: flags.readUncommitted !== true,
      onRecord: async (record) => {
        if (done) return;
        try {
          const headers = headerText(record.headers);
          const line = formatOutputLine({
            partition: record.partition,
            offset: record.offset,
            timestamp: record.timestamp,
            key: await decode(record.key, "key"),
            value: await decode(record.value, "value"),
            ...(headers ? { headers } : {}),
          });
          process.stdout.write(`${line}\n`);
        } catch (err) {
          finish(err instanceof Error ? err : new Error(String(err)));
          return;
        }
        printed += 1;
        if (flags.max !== undefined && printed >= flags.max) finish();
      },
    });
    const onSignal = () => finish();
    // `weir tail … | head -1`: the reader went away, which ends the tail as a signal would.
    const onOutputError = (err: NodeJS.ErrnoException) => finish(err.code === "EPIPE" ? undefined : err);
    process.once("SIGINT", onSignal);
    process.once("SIGTERM", onSignal);
    process.stdout.on("error", onOutputError);
    try {
      await finished;
    } finally {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
      process.stdout.off("error", onOutputError);
      await tail.stop();
    }
  });
}
