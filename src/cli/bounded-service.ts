// `weir run --until-end --workers N`: the bounded run of a whole service. Each worker runs unbounded (a worker
// that stopped at the end of its own tasks would hand them to the others mid-run); the supervisor notes the inputs'
// end offsets at start, and once the group has committed every input partition up to them it stops the workers.
import type { TopicAdmin } from "../kafka/index.ts";

/** Per `topic:partition`, the end offset noted at start; partitions whose records were all deleted count as done. */
export interface EndOffsets {
  readonly ends: ReadonlyMap<string, bigint>;
  readonly empty: ReadonlySet<string>;
}

export async function noteEndOffsets(admin: TopicAdmin, topics: readonly string[]): Promise<EndOffsets> {
  const ends = new Map<string, bigint>();
  const empty = new Set<string>();
  for (const topic of topics) {
    const earliest = await admin.earliestOffsets(topic);
    for (const [partition, end] of await admin.endOffsets(topic)) {
      const key = `${topic}:${partition}`;
      ends.set(key, BigInt(end));
      // Retention deleted every record: nothing will be processed, so nothing committed, for this partition.
      if (BigInt(earliest.get(partition) ?? "0") >= BigInt(end)) empty.add(key);
    }
  }
  return { ends, empty };
}

/** True once the group's committed offset of every input partition is at or past the end noted at start. */
export function reachedEnd(noted: EndOffsets, committed: ReadonlyMap<string, string>): boolean {
  for (const [key, end] of noted.ends) {
    if (noted.empty.has(key) || end === 0n) continue;
    const offset = committed.get(key);
    if (offset === undefined || offset === "-1" || BigInt(offset) < end) return false;
  }
  return true;
}
