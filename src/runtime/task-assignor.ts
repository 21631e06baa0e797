// Which group member runs which task (docs/architecture.md, "Warm-up replicas and probing rebalances"). Sticky: a
// task stays with the member that ran it, else goes to the member whose copy of its stores is the most caught up
// (then one running a standby of it, then one holding its state file, then the least loaded); every member gets
// floor(tasks/members) or ceil(tasks/members), so a member that joins a group whose members could all keep
// their tasks still gets its share (4 tasks over 3 members: 2, 1, 1, never 2, 2, 0). A task whose chosen
// member is not caught up (its copy lags by more than acceptableRecoveryLag changelog records) stays instead
// with a caught-up member, and the chosen one gets a warm-up replica of it, at most maxWarmupReplicas in the
// group (Kafka Streams' HighAvailabilityTaskAssignor, without rack awareness). Then each stateful task's standbys ("Standby replicas").
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
  /**
   * Per task, how far the member's open copy of its stores (its active task's or its standby's) has got: the sum
   * over the task's changelog partitions of its checkpoint, the next offset to apply. A task not named: 0.
   */
  readonly positions?: Readonly<Record<string, number>>;
}

export interface WarmupSettings {
  /** A copy at most this many changelog records behind the most advanced one is caught up. */
  readonly acceptableRecoveryLag: number;
  /** The most warm-up replicas the whole assignment places. */
  readonly maxWarmupReplicas: number;
}

export interface TaskPlan {
  /** Member id → its active tasks. */
  readonly active: Map<string, string[]>;
  /** Member id → the tasks it keeps a warm-up replica of (a standby preparing the task's move there). */
  readonly warmups: Map<string, string[]>;
}

/**
 * Without `warmup`, every copy counts as caught up: tasks move at once, as before warm-ups. A copy's lag is
 * measured against the most advanced position any member reported for the task (its active's, normally),
 * since the leader assigns synchronously and knows no changelog end offsets.
 */
export function assignTasks(tasks: readonly string[], members: readonly MemberTasks[], warmup?: WarmupSettings): TaskPlan {
  const sorted = [...members].sort((a, b) => (a.memberId < b.memberId ? -1 : a.memberId > b.memberId ? 1 : 0));
  const active = new Map<string, string[]>(sorted.map((m) => [m.memberId, []]));
  const warmups = new Map<string, string[]>(sorted.map((m) => [m.memberId, []]));
  if (sorted.length === 0) return { active, warmups };
  // Every member's share is `least` tasks; `extra` of them may take one more (the remainder of the division).
  const least = Math.floor(tasks.length / sorted.length);
  let extra = tasks.length % sorted.length;
  const reference = new Map<string, number>();
  for (const m of sorted) for (const [task, position] of Object.entries(m.positions ?? {})) reference.set(task, Math.max(reference.get(task) ?? 0, position));
  const lag = (m: MemberTasks, task: string): number => Math.max(0, (reference.get(task) ?? 0) - (m.positions?.[task] ?? 0));
  const caughtUp = (m: MemberTasks, task: string): boolean => warmup === undefined || lag(m, task) <= warmup.acceptableRecoveryLag;
  const load = (m: MemberTasks) => active.get(m.memberId)!.length;
  const ownerOf = new Map<string, MemberTasks>();
  const unassigned = new Set(tasks);
  const hasRoom = (m: MemberTasks) => load(m) < least || (load(m) === least && extra > 0);
  const give = (m: MemberTasks, task: string) => {
    if (load(m) === least) extra--;
    active.get(m.memberId)!.push(task);
    ownerOf.set(task, m);
    unassigned.delete(task);
  };
  // 1. A member keeps the tasks it ran, up to its share: first those no other member is caught up on, so that
  // the ones it lets go are those that can move at once. Every member keeps its `least` before any keeps one
  // more, so a member's extra task never costs another member its share.
  const kept = new Map<MemberTasks, string[]>();
  for (const member of sorted) {
    const othersCaughtUp = (task: string) => (sorted.some((m) => m !== member && caughtUp(m, task)) ? 1 : 0);
    kept.set(member, member.owned.filter((t) => unassigned.has(t)).sort((a, b) => othersCaughtUp(a) - othersCaughtUp(b) || compareTaskIds(a, b)));
  }
  for (const member of sorted) for (const task of kept.get(member)!) if (load(member) < least && unassigned.has(task)) give(member, task);
  for (const member of sorted) {
    const next = kept.get(member)!.find((t) => unassigned.has(t));
    if (next !== undefined && hasRoom(member)) give(member, next);
  }
  // 2. Every other task to the member with room whose copy is the most caught up, then one with a standby of
  // it, then one with its state file, then the least loaded.
  const rank = (m: MemberTasks, task: string): number[] => [
    caughtUp(m, task) ? 0 : 1,
    caughtUp(m, task) ? 0 : lag(m, task),
    m.standbys?.includes(task) ? 0 : 1,
    m.withState.includes(task) ? 0 : 1,
    load(m),
  ];
  for (const task of tasks) {
    if (!unassigned.has(task)) continue;
    let best: MemberTasks | undefined;
    for (const m of sorted) if (hasRoom(m) && (!best || compareRanks(rank(m, task), rank(best, task)) < 0)) best = m;
    give(best!, task);
  }
  // 3. A task given to a member that is not caught up stays where a caught-up copy is (the member that ran it if
  // it is one, else the least loaded, even past its share); the chosen member
  // gets a warm-up replica of it while the group's allowance lasts, and the task moves there at a rebalance
  // after it caught up (a probing rebalance).
  if (warmup !== undefined) {
    let allowance = warmup.maxWarmupReplicas;
    for (const task of [...tasks].sort(compareTaskIds)) {
      const destination = ownerOf.get(task)!;
      if (caughtUp(destination, task)) continue;
      // Never empty: the most advanced copy is the reference, so it is caught up by definition.
      const caught = sorted.filter((m) => caughtUp(m, task));
      const source = caught.find((m) => m.owned.includes(task)) ?? caught.reduce((a, b) => (load(b) < load(a) ? b : a));
      const list = active.get(destination.memberId)!;
      list.splice(list.indexOf(task), 1);
      give(source, task);
      if (allowance > 0) {
        warmups.get(destination.memberId)!.push(task);
        allowance--;
      }
    }
  }
  for (const list of active.values()) list.sort(compareTaskIds);
  for (const list of warmups.values()) list.sort(compareTaskIds);
  return { active, warmups };
}

function compareRanks(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return 0;
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
