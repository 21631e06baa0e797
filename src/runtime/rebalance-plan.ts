// What one rebalance changes for this instance's tasks (docs/architecture.md, "The processing loop", step 3):
// the tasks it keeps, which go on untouched when the client keeps fetching their partitions across the
// rebalance, and the partitions to pause until their task is ready. Pure: TaskManager acts on it.
import type { Assignment } from "../kafka/index.ts";
import type { Topology } from "../topology/topology.ts";
import type { TaskRef } from "./group-planner.ts";
import { taskId } from "./task-id.ts";

export interface RebalancePlan {
  /** Every task of the new assignment. */
  readonly wanted: ReadonlyMap<string, TaskRef>;
  /**
   * Tasks in both the previous assignment and this one, on a client that kept fetching their partitions
   * (never revoked in between, so their fetch positions are their own). Empty on a client that revokes
   * everything at each rebalance (kafkajs): there every task stops and is sought again.
   */
  readonly kept: ReadonlySet<string>;
  /** Every assigned partition but the inputs of kept tasks: fetched only once its task is ready. */
  readonly toPause: Assignment;
}

/**
 * Plans a rebalance from the previous assignment's tasks. A task revoked and assigned again in two quick
 * rebalances is not kept: its partitions were dropped in between, so it is opened (and fenced) anew.
 */
export function planRebalance(
  topology: Topology,
  changelogTopics: ReadonlySet<string>,
  assignment: Assignment,
  previous: ReadonlySet<string>,
  incremental: boolean,
): RebalancePlan {
  const wanted = new Map<string, TaskRef>();
  for (const [topic, partitions] of assignment) {
    if (changelogTopics.has(topic)) continue;
    const sub = topology.subTopologyOf(topic);
    for (const partition of partitions) wanted.set(taskId(sub.id, partition), { subTopology: sub.id, partition });
  }
  const kept = new Set(incremental ? [...wanted.keys()].filter((id) => previous.has(id)) : []);
  const toPause = new Map<string, number[]>();
  for (const [topic, partitions] of assignment) {
    const sub = changelogTopics.has(topic) ? undefined : topology.subTopologyOf(topic);
    const paused = partitions.filter((p) => sub === undefined || !kept.has(taskId(sub.id, p)));
    if (paused.length > 0) toPause.set(topic, paused);
  }
  return { wanted, kept, toPause };
}
