// `weir reset`: puts an application back at its start, as Kafka Streams' application reset tool does: its
// internal topics are deleted, its group's committed offsets go back to the earliest offset of its input topics.
import { existsSync, readdirSync, rmSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { createKafkaClient, type TopicAdmin, type TopicPartitionOffset } from "../kafka/index.ts";
import { WeirError } from "../runtime/errors.ts";
import { createLogger } from "../runtime/logger.ts";

export interface ResetOptions {
  readonly applicationId: string;
  /** Comma-separated; falls back to WEIR_BOOTSTRAP_SERVERS, then KAFKA_BOOTSTRAP_SERVERS (as `weir run` does). */
  readonly bootstrapServers?: string;
  readonly dryRun?: boolean;
  /** Comma-separated; default: the topics the group has committed offsets for, less internal topics. */
  readonly inputTopics?: string;
  /** When given, `<stateDir>/<applicationId>` on this machine is deleted too, and each `<stateDir>/worker-<i>/<applicationId>` (`weir run --workers`). */
  readonly stateDir?: string;
}

/** The group still has members: nothing was changed. The CLI exits with code 2. */
export class GroupActiveError extends Error {
  readonly code = "WEIR_GROUP_ACTIVE";
  constructor(groupId: string, state: string, members: number) {
    super(
      `WEIR_GROUP_ACTIVE: group "${groupId}" has ${members} active member${members === 1 ? "" : "s"} (state ${state}); stop all instances of the application first, then run weir reset again`,
    );
    this.name = "GroupActiveError";
  }
}

const internalSuffixes = ["-changelog", "-repartition"] as const;
/** The application's internal topics wait at most this long to leave the metadata, so a restart can create them again. */
const deleteWaitMs = 30_000;

/**
 * The topics that are `<applicationId>-<name>-changelog` or `-repartition`, and those that fit that pattern but
 * also fit a longer application id that has a group (`pay-eu-totals-changelog` for `pay` while the group `pay-eu`
 * exists): the topic belongs to the longest id it fits, so those are left alone and named.
 */
export function internalTopics(applicationId: string, topics: readonly string[], groupIds: readonly string[]): { mine: string[]; others: { topic: string; owner: string }[] } {
  const fits = (id: string, topic: string) =>
    topic.startsWith(`${id}-`) && internalSuffixes.some((suffix) => topic.endsWith(suffix) && topic.length > id.length + 1 + suffix.length);
  const longer = groupIds.filter((g) => g !== applicationId && g.startsWith(`${applicationId}-`)).sort((a, b) => b.length - a.length);
  const mine: string[] = [];
  const others: { topic: string; owner: string }[] = [];
  for (const topic of [...topics].sort()) {
    if (!fits(applicationId, topic)) continue;
    const owner = longer.find((g) => fits(g, topic));
    if (owner) others.push({ topic, owner });
    else mine.push(topic);
  }
  return { mine, others };
}

interface OffsetReset {
  readonly topic: string;
  /** Per partition: the committed offset (null: none) and the earliest offset it is moved to. */
  readonly partitions: readonly { partition: number; committed: string | null; earliest: string }[];
}

interface ResetPlan {
  readonly internal: readonly string[];
  readonly othersInternal: readonly { topic: string; owner: string }[];
  /** Topics the group has offsets for that no longer exist: nothing to reset. */
  readonly vanished: readonly string[];
  readonly offsets: readonly OffsetReset[];
}

/** Runs the reset, writing one line per action (or, with `dryRun`, per action it would take) to `print`. */
export async function resetApplication(options: ResetOptions, env: NodeJS.ProcessEnv, print: (line: string) => void): Promise<void> {
  const groupId = options.applicationId;
  if (!/^[A-Za-z0-9._-]+$/.test(groupId) || groupId === "." || groupId === "..") {
    throw new WeirError("WEIR_CONFIG_INVALID", `--application-id: only letters, digits, '.', '_' and '-' (it names the group and internal topics), got ${JSON.stringify(groupId)}`);
  }
  const bootstrap = [options.bootstrapServers, env.WEIR_BOOTSTRAP_SERVERS, env.KAFKA_BOOTSTRAP_SERVERS].find((v) => v !== undefined && v.trim() !== "");
  if (bootstrap === undefined) {
    throw new WeirError("WEIR_CONFIG_INVALID", "bootstrapServers is missing: pass --bootstrap-servers or set WEIR_BOOTSTRAP_SERVERS or KAFKA_BOOTSTRAP_SERVERS");
  }
  const brokers = bootstrap.split(",").map((b) => b.trim()).filter((b) => b.length > 0);
  const requested = options.inputTopics === undefined ? undefined : options.inputTopics.split(",").map((t) => t.trim()).filter((t) => t.length > 0);
  if (requested?.length === 0) throw new WeirError("WEIR_CONFIG_INVALID", "--input-topics names no topic");
  const stateDir = options.stateDir === undefined ? undefined : join(resolve(options.stateDir), groupId);
  if (stateDir !== undefined && existsSync(stateDir) && !statSync(stateDir).isDirectory()) {
    throw new WeirError("WEIR_CONFIG_INVALID", `--state-dir: ${stateDir} is not a directory`);
  }

  const logger = createLogger("warn", { command: "reset", app: groupId });
  const kafka = createKafkaClient("kafkajs", { clientId: `${groupId}-reset`, brokers, connectionTimeoutMs: 3000, requestTimeoutMs: 30000 }, logger);
  const admin = kafka.admin();
  try {
    await refuseWhileActive(admin, groupId);
    const plan = await planReset(admin, groupId, requested, brokers);
    const would = options.dryRun ? "would " : "";

    for (const { topic, owner } of plan.othersInternal) print(`leave topic ${topic}: it also fits application "${owner}", whose group exists`);
    for (const topic of plan.vanished) print(`skip offsets of topic ${topic}: it no longer exists`);
    for (const reset of plan.offsets) {
      if (!options.dryRun) {
        // Checked again before each change: an instance started since the last check would now own offsets and topics.
        await refuseWhileActive(admin, groupId);
        await admin.commitGroupOffsets(groupId, reset.topic, new Map(reset.partitions.map((p) => [p.partition, p.earliest])));
      }
      const moves = reset.partitions.map((p) => `${p.partition}: ${p.committed ?? "none"} → ${p.earliest}`).join(", ");
      print(`${would}reset offsets of group ${groupId} on topic ${reset.topic} to earliest (partition: committed → earliest): ${moves}`);
    }
    if (plan.internal.length > 0 && !options.dryRun) {
      await refuseWhileActive(admin, groupId);
      await admin.deleteTopicsAndWait(plan.internal, deleteWaitMs);
    }
    for (const topic of plan.internal) print(`${would}${options.dryRun ? "delete" : "deleted"} topic ${topic}`);
    if (plan.offsets.length === 0 && plan.internal.length === 0) print(`nothing to reset on the cluster: group ${groupId} has no committed offsets of existing input topics and there are no internal topics`);

    if (stateDir === undefined) {
      print(`local state not touched: delete <stateDir>/${groupId} on every instance before restarting it (or pass --state-dir here, for this machine)`);
    } else {
      const dirs = [stateDir, ...workerStateDirs(resolve(options.stateDir!), groupId)];
      if (!dirs.some((dir) => existsSync(dir))) print(`no local state at ${stateDir}`);
      for (const dir of dirs.filter((d) => existsSync(d))) {
        if (!options.dryRun) rmSync(dir, { recursive: true });
        print(`${would}${options.dryRun ? "delete" : "deleted"} local state ${dir}`);
      }
    }
  } catch (err) {
    if (err instanceof WeirError || err instanceof GroupActiveError) throw err;
    const done = options.dryRun ? "nothing was changed" : "the lines printed before were done, and running weir reset again is safe";
    throw new Error(`reset of application ${groupId} on ${brokers.join(",")} stopped (${done}): ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  } finally {
    await admin.close();
  }
}

/** `<stateDir>/worker-<i>/<applicationId>`: the state of the workers of `weir run --workers` (worker-settings.ts). */
export function workerStateDirs(stateDir: string, applicationId: string): string[] {
  if (!existsSync(stateDir) || !statSync(stateDir).isDirectory()) return [];
  return readdirSync(stateDir)
    .filter((name) => /^worker-\d+$/.test(name))
    .sort()
    .map((name) => join(stateDir, name, applicationId))
    .filter((dir) => existsSync(dir));
}

async function refuseWhileActive(admin: TopicAdmin, groupId: string): Promise<void> {
  const { state, members } = await admin.groupState(groupId);
  if (state !== "Empty" && state !== "Dead") throw new GroupActiveError(groupId, state, members);
}

async function planReset(admin: TopicAdmin, groupId: string, requested: readonly string[] | undefined, brokers: readonly string[]): Promise<ResetPlan> {
  const existing = await admin.topicNames();
  const { mine, others } = internalTopics(groupId, existing, await admin.groupIds());
  const looksInternal = (topic: string) => internalTopics(groupId, [topic], []).mine.length > 0;
  const committed = await admin.allCommittedOffsets(groupId);

  let inputs: string[];
  let vanished: string[] = [];
  if (requested) {
    const present = new Set(existing);
    const missing = requested.filter((t) => !present.has(t));
    if (missing.length > 0) throw new WeirError("WEIR_TOPIC_MISSING", `--input-topics: ${missing.join(", ")} ${missing.length === 1 ? "does" : "do"} not exist on ${brokers.join(",")}`);
    const internal = requested.filter(looksInternal);
    if (internal.length > 0) throw new WeirError("WEIR_CONFIG_INVALID", `--input-topics: ${internal.join(", ")} ${internal.length === 1 ? "is an internal topic" : "are internal topics"} of ${groupId}: reset deletes internal topics, it does not move their offsets`);
    inputs = [...new Set(requested)];
  } else {
    const present = new Set(existing);
    const topics = [...new Set(committed.map((o) => o.topic))].filter((t) => !looksInternal(t)).sort();
    inputs = topics.filter((t) => present.has(t));
    vanished = topics.filter((t) => !present.has(t));
  }

  const offsets: OffsetReset[] = [];
  for (const topic of inputs) {
    const earliest = await admin.earliestOffsets(topic);
    const byPartition = new Map(committed.filter((o: TopicPartitionOffset) => o.topic === topic).map((o) => [o.partition, o.offset]));
    const partitions = [...earliest]
      .sort(([a], [b]) => a - b)
      .map(([partition, low]) => {
        const offset = byPartition.get(partition);
        return { partition, committed: offset === undefined || offset === "-1" ? null : offset, earliest: low };
      });
    offsets.push({ topic, partitions });
  }
  return { internal: mine, othersInternal: others, vanished, offsets };
}
