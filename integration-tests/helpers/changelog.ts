// What a changelog topic holds, read back the way restore reads it (read_committed), to judge the runtime's
// "restore done" log lines: how many committed records lie between a checkpoint and the end, and how big the
// last committed transaction of a partition was. Pure: the test reads the topic and passes the records in.

/** Per changelog partition, the offsets of its committed records, ascending. */
export type ChangelogSnapshot = ReadonlyMap<number, readonly number[]>;

/** Groups records read from a changelog (read_committed) by partition, offsets ascending. */
export function changelogSnapshot(records: Iterable<{ readonly partition: number; readonly offset: string }>): ChangelogSnapshot {
  const byPartition = new Map<number, number[]>();
  for (const r of records) {
    const offsets = byPartition.get(r.partition) ?? [];
    offsets.push(Number(r.offset));
    byPartition.set(r.partition, offsets);
  }
  for (const offsets of byPartition.values()) offsets.sort((a, b) => a - b);
  return byPartition;
}

/** Committed records with `from` ≤ offset < `to`: what a replay from checkpoint `from` to end `to` reads. */
export function committedBetween(offsets: readonly number[], from: number, to: number): number {
  let n = 0;
  for (const o of offsets) if (o >= from && o < to) n += 1;
  return n;
}

/**
 * The records of the partition's last committed transaction: the run of consecutive offsets at its end.
 * Each transaction's records are consecutive (one producer per task writes the partition) and are followed
 * by a commit marker, which takes an offset: so two transactions are always one offset apart or more.
 */
export function lastTransactionSize(offsets: readonly number[]): number {
  if (offsets.length === 0) return 0;
  let n = 1;
  for (let i = offsets.length - 1; i > 0 && offsets[i - 1] === offsets[i]! - 1; i--) n += 1;
  return n;
}

/** How many transactions wrote the partition's committed records (runs of consecutive offsets). */
export function transactionCount(offsets: readonly number[]): number {
  let n = 0;
  for (let i = 0; i < offsets.length; i++) if (i === 0 || offsets[i - 1] !== offsets[i]! - 1) n += 1;
  return n;
}
