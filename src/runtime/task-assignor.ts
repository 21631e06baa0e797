// Which group member runs which task. Sticky: a task stays with the member that ran it, else goes to a
// member holding its state file, else to the least loaded; no member gets more than ceil(tasks/members).
// kafkajs rebalances eagerly (everything is revoked at each join), so stickiness is what keeps
// tasks, and their warm SQLite files, where they were.

export interface MemberTasks {
  readonly memberId: string;
  /** Tasks the member ran before this rebalance. */
  readonly owned: readonly string[];
  /** Tasks whose state file the member has on disk. */
  readonly withState: readonly string[];
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
  for (const preference of ["owned", "withState"] as const) {
    for (const member of sorted) {
      for (const task of member[preference]) {
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

/** `0_10` after `0_9`: by sub-topology, then partition. */
export function compareTaskIds(a: string, b: string): number {
  const [sa, pa] = a.split("_").map(Number) as [number, number];
  const [sb, pb] = b.split("_").map(Number) as [number, number];
  return sa - sb || pa - pb;
}
