// The group protocol's side of task assignment: what a member tells the leader (the tasks it runs, the
// task state files it has, the address of its HTTP server), and how the leader's task assignment becomes
// topic partitions (each task's input partitions together with its stores' changelog partitions) and the
// task → instance map every member receives.
import { readdirSync } from "node:fs";
import { join } from "node:path";
import type { GroupAssignmentPlanner } from "../kafka/index.ts";
import { Topology } from "../topology/topology.ts";
import { readCheckpointOf } from "../state/checkpoint-table.ts";
import { stateFilePath } from "../state/state-file.ts";
import type { WeirConfig } from "./config.ts";
import type { Logger } from "./logger.ts";
import { InstanceMap } from "./instance-map.ts";
import { assignStandbys, assignTasks, compareTaskIds } from "./task-assignor.ts";
import { taskId } from "./task-id.ts";

export interface TaskRef {
  readonly subTopology: number;
  readonly partition: number;
}

export interface MemberInfo {
  /** Tasks the member runs now. */
  readonly owned: () => string[];
  /** Where other instances reach its HTTP server (`host:port`), if anywhere. */
  readonly applicationServer: () => string | null;
  /** This run's id: the leader's standby assignment names instances by it (InstanceMap). */
  readonly processId?: string;
  /** Tasks the member keeps standby copies of now. */
  readonly standbys?: () => string[];
  /** Per task, how far this member's open copy (active or standby) has got in its changelogs (TaskStores.position). */
  readonly positions?: () => Record<string, number>;
  /**
   * Leader side: whether this instance can start probing rebalances (only then are warm-ups placed), and the
   * number of warm-ups each plan sent placed (it schedules one). Absent: no warm-ups.
   */
  readonly probing?: { readonly available: () => boolean; readonly planned: (warmups: number) => void };
  /**
   * Exactly-once with one producer per instance: this run's transactional id. The map carries every member's, so
   * that the transactions of members that left can be aborted (departed-transactions.ts).
   */
  readonly transactionalId?: string;
}

export function taskPlanner(topology: Topology, config: WeirConfig, logger: Logger, member: MemberInfo): GroupAssignmentPlanner {
  return {
    protocolName: "weir-tasks-v1",
    userData: () => {
      const withState = tasksWithStateFiles(config);
      return Buffer.from(
        JSON.stringify({
          owned: member.owned(),
          withState,
          server: member.applicationServer(),
          // Read by leaders that know standbys; older ones ignore the fields (docs/architecture.md, "Standby replicas").
          ...(member.processId === undefined ? {} : { process: member.processId, standbys: member.standbys?.() ?? [] }),
          // Read by leaders that place warm-ups (docs/architecture.md, "Warm-up replicas and probing rebalances").
          ...(member.positions === undefined ? {} : { positions: withFilePositions(config, withState, member.positions()) }),
          ...(member.transactionalId === undefined ? {} : { transactionalId: member.transactionalId }),
        }),
      );
    },
    assign: (members, partitionCount, tentative) => {
      const tasks: string[] = [];
      const stateful: string[] = [];
      const partitions = new Map<number, number>();
      for (const sub of topology.subTopologies) {
        const count = Math.max(...sub.sourceTopics.map(partitionCount));
        partitions.set(sub.id, count);
        for (let p = 0; p < count; p++) tasks.push(taskId(sub.id, p));
        if (sub.stores.length > 0) for (let p = 0; p < count; p++) stateful.push(taskId(sub.id, p));
      }
      const subscriptions = members.map((m) => ({ memberId: m.memberId, ...parseUserData(m.userData) }));
      // Warm-ups only when every member can run one (names its process): a member of an older version could be
      // the one a task waits for forever. Then tasks move at once, as they did.
      const canWarmUp = subscriptions.every((m) => m.process !== null) && member.probing?.available() === true;
      const warmupSettings = { acceptableRecoveryLag: config.acceptableRecoveryLag, maxWarmupReplicas: config.maxWarmupReplicas };
      const { active: plan, warmups: warmupPlan } = assignTasks(tasks, subscriptions, canWarmUp ? warmupSettings : undefined);
      // Standbys only on members that can run them (they name their process); keyed by that process id.
      const standbyMembers = subscriptions.filter((m) => m.process !== null);
      const standbyPlan = config.numStandbyReplicas > 0 ? assignStandbys(stateful, plan, standbyMembers, config.numStandbyReplicas) : new Map<string, string[]>();
      // A warm-up is a standby the assignor placed to prepare a move: it travels, and runs, as one.
      const standbys = new Map<string, string[]>();
      const warmups = new Map<string, string[]>();
      for (const m of standbyMembers) {
        const warming = warmupPlan.get(m.memberId) ?? [];
        const all = [...new Set([...(standbyPlan.get(m.memberId) ?? []), ...warming])].sort(compareTaskIds);
        if (all.length > 0) standbys.set(m.process!, all);
        if (warming.length > 0) warmups.set(m.process!, warming);
      }
      const servers = new Map(subscriptions.map((m) => [m.memberId, m.server]));
      const owners = new Map<string, string | null>();
      for (const [memberId, memberTasks] of plan) for (const id of memberTasks) owners.set(id, servers.get(memberId) ?? null);
      const result = new Map<string, Map<string, number[]>>();
      for (const [memberId, memberTasks] of plan) {
        const topics = new Map<string, number[]>();
        for (const id of memberTasks) {
          for (const [topic, partition] of partitionsOf(topology, config.applicationId, parseTaskId(id))) {
            if (partition >= partitionCount(topic)) continue;
            let list = topics.get(topic);
            if (!list) topics.set(topic, (list = []));
            list.push(partition);
          }
        }
        result.set(memberId, topics);
      }
      if (!tentative) {
        const standbyLog = config.numStandbyReplicas > 0 ? { standbys: Object.fromEntries(standbyMembers.map((m) => [m.memberId, standbyPlan.get(m.memberId) ?? []])) } : {};
        const warmupCount = [...warmupPlan.values()].reduce((n, list) => n + list.length, 0);
        const warmupLog = warmupCount > 0 ? { warmups: Object.fromEntries([...warmupPlan].filter(([, list]) => list.length > 0)) } : {};
        logger.info({ members: members.length, tasks: tasks.length, plan: Object.fromEntries(plan), ...standbyLog, ...warmupLog }, "assigned tasks as group leader");
        member.probing?.planned(warmupCount);
      }
      const transactionalIds = subscriptions.flatMap((m) => (m.transactionalId === null ? [] : [m.transactionalId]));
      const processServers = new Map(standbyMembers.filter((m) => standbys.has(m.process!)).map((m) => [m.process!, m.server]));
      const map = new InstanceMap(partitions, owners, servers.values(), standbys, processServers, warmups, transactionalIds);
      return { assignments: result, userData: map.encode() };
    },
  };
}

function partitionsOf(topology: Topology, applicationId: string, ref: TaskRef): [string, number][] {
  const sub = topology.subTopologies[ref.subTopology]!;
  const topics = [...sub.sourceTopics, ...sub.stores.map((s) => Topology.changelogTopic(applicationId, s.name))];
  return topics.map((t) => [t, ref.partition]);
}

/** The open copies' positions, and those of the state files no task or standby has open (their checkpoints). */
function withFilePositions(config: WeirConfig, withState: readonly string[], open: Record<string, number>): Record<string, number> {
  const positions: Record<string, number> = {};
  for (const task of withState) {
    if (task in open) continue;
    const checkpoint = readCheckpointOf(stateFilePath(config.stateDir, config.applicationId, task));
    if (checkpoint && checkpoint.size > 0) positions[task] = [...checkpoint.values()].reduce((sum, offset) => sum + Number(offset), 0);
  }
  return { ...positions, ...open };
}

/** Tasks whose state file is in this instance's state directory. */
function tasksWithStateFiles(config: WeirConfig): string[] {
  try {
    return readdirSync(join(config.stateDir, config.applicationId))
      .filter((f) => /^\d+_\d+\.sqlite$/.test(f))
      .map((f) => f.slice(0, -".sqlite".length));
  } catch {
    return [];
  }
}

export function parseTaskId(id: string): TaskRef {
  const [sub, partition] = id.split("_").map(Number) as [number, number];
  return { subTopology: sub, partition };
}

export interface Subscription {
  readonly owned: string[];
  readonly withState: string[];
  readonly server: string | null;
  /** The member's process id; null from a member of a Weir version without standbys (it gets none). */
  readonly process: string | null;
  readonly standbys: string[];
  /** Per task, the changelog position of the member's open copy of it; {} from a member of an older version. */
  readonly positions: Record<string, number>;
  /** The transactional id of the member's instance producer; null without one (at-least-once, kafkajs, older versions). */
  readonly transactionalId: string | null;
}

export function parseUserData(data: Buffer): Subscription {
  try {
    const parsed = JSON.parse(data.toString("utf8")) as { owned?: unknown; withState?: unknown; server?: unknown; process?: unknown; standbys?: unknown; positions?: unknown; transactionalId?: unknown };
    const list = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : []);
    return {
      owned: list(parsed.owned),
      withState: list(parsed.withState),
      server: typeof parsed.server === "string" ? parsed.server : null,
      process: typeof parsed.process === "string" ? parsed.process : null,
      standbys: list(parsed.standbys),
      positions: positionsOf(parsed.positions),
      transactionalId: typeof parsed.transactionalId === "string" ? parsed.transactionalId : null,
    };
  } catch {
    return { owned: [], withState: [], server: null, process: null, standbys: [], positions: {}, transactionalId: null };
  }
}

function positionsOf(value: unknown): Record<string, number> {
  const positions: Record<string, number> = {};
  if (typeof value !== "object" || value === null) return positions;
  for (const [task, position] of Object.entries(value)) if (/^\d+_\d+$/.test(task) && typeof position === "number" && Number.isFinite(position) && position >= 0) positions[task] = position;
  return positions;
}
