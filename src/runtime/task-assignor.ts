// Which group member runs which task. Sticky: a task stays with the member that ran it, else goes to a
// member running a standby of it, else to one holding its state file, else to the least loaded; no member
// gets more than ceil(tasks/members). Then each stateful task's standbys (docs/architecture.md, "Standby replicas").
// kafkajs rebalances eagerly (everything is revoked at each join), so stickiness is what keeps
// tasks, and their warm SQLite files, where they were.

export interface MemberTasks {
  readonly memberId: string;
  /** Tasks the member ran before this rebalance. */
  readonly owned: readonly string[];
  /** Tasks whose state file the member has on disk. */
  readonly withState: readonly string[];
  /** Tasks the member keeps a standby copy of (read from their changelogs, so nearly caught up). */
  readonly standbys?: readonly string[];
}

export function assignTasks(tasks: readonly string[], members: readonly MemberTasks[]): Map<string, string[]> {
  const sorted = [...members].sort((a, b) => (a.memberId < b.memberId ? -1 : a.memberId > b.memberId ? 1 : 0));
  const result = new Map<string, string[]>(sorted.map((m) => [m.memberId, []]));
  if (sorted.length === 0) return result;
  const capacity = Math.ceil(tasks.length / sorted.length);
  const unassigned = new Set(tasks);
  const give = (memberId: string, task: string) => {
    result.get(memberId)!.push(task);
    unassigned.delete(task);
  };
  for (const preference of ["owned", "standbys", "withState"] as const) {
    for (const member of sorted) {
      for (const task of member[preference] ?? []) {
        if (unassigned.has(task) && result.get(member.memberId)!.length < capacity) give(member.memberId, task);
      }
    }
  }
  for (const task of tasks) {
    if (!unassigned.has(task)) continue;
    let least = sorted[0]!;
    for (const m of sorted) if (result.get(m.memberId)!.length < result.get(least.memberId)!.length) least = m;
    give(least.memberId, task);
  }
  for (const list of result.values()) list.sort(compareTaskIds);
  return result;
}

/**
 * Up to `replicas` standbys of each stateful task, each on a member other than the task's active one (so at most
 * members − 1), preferring a member that already has a standby of it, then one holding its state file, then
 * the member with the fewest standbys; a member gets at most one copy of a task. Kafka Streams' standby
 * assignment, without rack awareness.
 */
export function assignStandbys(
  statefulTasks: readonly string[],
  active: ReadonlyMap<string, readonly string[]>,
  members: readonly MemberTasks[],
  replicas: number,
): Map<string, string[]> {
  const sorted = [...members].sort((a, b) => (a.memberId < b.memberId ? -1 : a.memberId > b.memberId ? 1 : 0));
  const result = new Map<string, string[]>(sorted.map((m) => [m.memberId, []]));
  const ownerOf = new Map<string, string>();
  for (const [memberId, tasks] of active) for (const task of tasks) ownerOf.set(task, memberId);
  const count = Math.min(replicas, sorted.length - 1);
  if (count <= 0) return result;
  const rank = (m: MemberTasks, task: string): number => (m.standbys?.includes(task) ? 0 : m.withState.includes(task) ? 1 : 2);
  // Per member, how many of the tasks still to place it may take: of two equally loaded members, the one with
  // fewer chances left takes this one, so the last tasks (all of one member's actives) still find room.
  const chances = new Map(sorted.map((m) => [m.memberId, statefulTasks.filter((t) => ownerOf.get(t) !== m.memberId).length]));
  for (const task of statefulTasks) {
    const candidates = sorted.filter((m) => m.memberId !== ownerOf.get(task));
    for (const m of candidates) chances.set(m.memberId, chances.get(m.memberId)! - 1);
    const load = (m: MemberTasks) => result.get(m.memberId)!.length;
    candidates.sort((a, b) => rank(a, task) - rank(b, task) || load(a) - load(b) || chances.get(a.memberId)! - chances.get(b.memberId)!);
    for (const m of candidates.slice(0, count)) result.get(m.memberId)!.push(task);
  }
  for (const list of result.values()) list.sort(compareTaskIds);
  return result;
}

/** `0_10` after `0_9`: by sub-topology, then partition. */
export function compareTaskIds(a: string, b: string): number {
  const [sa, pa] = a.split("_").map(Number) as [number, number];
  const [sb, pb] = b.split("_").map(Number) as [number, number];
  return sa - sb || pa - pb;
}
