// The exactly-once verdict on the count-and-sum app's output: per key, the committed updates must be
// count 1, 2, 3, … with no gap and no repeat, each with the running sum of that key's input amounts.
// Pure: it reads records already fetched, so it is unit-tested on synthetic output.

/** An output record as read back (read_committed); `offset` is a decimal string. */
export interface OutputRecord {
  readonly partition: number;
  readonly offset: string;
  readonly key: Buffer | string | null;
  readonly value: Buffer | string | null;
}

/** Wrong output no later record can repair: the topic is append-only and read in partition order. */
export type ViolationKind =
  | "malformed" // the key is null or the value is not {"count": integer ≥ 1, "sum": number}
  | "unexpected-key" // an output key that had no input
  | "split-partitions" // one key's updates in more than one output partition, so their order means nothing
  | "gap" // count jumped past the next one: an input record's effect is missing
  | "repeat" // count did not grow: an input record's effect appears twice, or state went back
  | "beyond-input" // count greater than the key's input records
  | "wrong-sum"; // the update's sum is not the sum of the key's first `count` amounts

/** Updates not seen (yet): a failure only once the output should be complete. */
export type ShortfallKind = "missing-key" | "incomplete";

export interface Issue<Kind extends string> {
  readonly kind: Kind;
  readonly key: string;
  readonly message: string;
}

export interface CountsReport {
  readonly inputRecords: number;
  readonly outputRecords: number;
  readonly keys: number;
  /** Keys whose last update's count equals their input records. */
  readonly completeKeys: number;
  /** At most one per key (its first), input keys in input order, then unexpected keys. */
  readonly violations: readonly Issue<ViolationKind>[];
  /** One per key whose last count is short of its input records, in input order. */
  readonly shortfalls: readonly Issue<ShortfallKind>[];
  /** No shortfall: every key's last update counts all of its input. */
  readonly complete: boolean;
  /** Complete and no violation: each input record's effect appears exactly once. */
  readonly ok: boolean;
}

interface KeyState {
  partition: number;
  lastCount: number;
  /** The last few counts seen, for the message. */
  recent: number[];
  violation?: Issue<ViolationKind>;
}

function text(b: Buffer | string | null): string | null {
  return b === null ? null : typeof b === "string" ? b : b.toString("utf8");
}

function compareRecords(a: OutputRecord, b: OutputRecord): number {
  if (a.partition !== b.partition) return a.partition - b.partition;
  const oa = BigInt(a.offset);
  const ob = BigInt(b.offset);
  return oa < ob ? -1 : oa > ob ? 1 : 0;
}

function parseTotals(value: string | null): { count: number; sum: number } | undefined {
  if (value === null) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    return undefined;
  }
  if (typeof parsed !== "object" || parsed === null) return undefined;
  const { count, sum } = parsed as Record<string, unknown>;
  if (typeof count !== "number" || !Number.isInteger(count) || count < 1) return undefined;
  if (typeof sum !== "number" || !Number.isFinite(sum)) return undefined;
  return { count, sum };
}

/**
 * Checks `output` (any order: it is sorted by partition and offset here) against `expected`: per input key,
 * its amounts in input order.
 */
export function verifyCounts(
  expected: ReadonlyMap<string, readonly number[]>,
  output: readonly OutputRecord[],
  /** "any": a key's records may be processed in another order than `expected` lists them (several input topics): only the final sum is checked. */
  order: "input" | "any" = "input",
): CountsReport {
  const prefixSums = new Map<string, number[]>();
  let inputRecords = 0;
  for (const [key, amounts] of expected) {
    const prefix = [0];
    for (const a of amounts) prefix.push(prefix[prefix.length - 1]! + a);
    prefixSums.set(key, prefix);
    inputRecords += amounts.length;
  }

  const states = new Map<string, KeyState>();
  const unexpected: string[] = [];
  const nullKeys: Issue<ViolationKind>[] = [];
  const violate = (key: string, state: KeyState, kind: ViolationKind, what: string) => {
    state.violation ??= { kind, key, message: `${key}: ${what} (counts so far, newest last: …${state.recent.join(", ")})` };
  };

  for (const record of [...output].sort(compareRecords)) {
    const key = text(record.key);
    const where = `partition ${record.partition} offset ${record.offset}`;
    if (key === null) {
      if (nullKeys.length === 0) nullKeys.push({ kind: "malformed", key: "(null)", message: `a record without a key at ${where}` });
      continue;
    }
    let state = states.get(key);
    if (!state) {
      state = { partition: record.partition, lastCount: 0, recent: [] };
      states.set(key, state);
      if (!prefixSums.has(key)) {
        unexpected.push(key);
        violate(key, state, "unexpected-key", `an output key with no input record, first at ${where}`);
      }
    }
    if (record.partition !== state.partition) {
      violate(key, state, "split-partitions", `updates in partition ${state.partition} and in partition ${record.partition} (${where})`);
    }
    const value = text(record.value);
    const totals = parseTotals(value);
    if (!totals) {
      violate(key, state, "malformed", `value ${JSON.stringify(value)} at ${where} is not {"count": integer ≥ 1, "sum": number}`);
      continue;
    }
    const { count, sum } = totals;
    state.recent.push(count);
    if (state.recent.length > 8) state.recent.shift();
    const prefix = prefixSums.get(key);
    const inputs = prefix ? prefix.length - 1 : 0;
    const previous = state.lastCount;
    state.lastCount = count;
    if (!prefix) continue;
    if (count > inputs) {
      violate(key, state, "beyond-input", `count ${count} at ${where}, but the key has ${inputs} input records: an effect was applied twice`);
    } else if (count > previous + 1) {
      const missing = count === previous + 2 ? `${previous + 1}` : `${previous + 1}–${count - 1}`;
      violate(key, state, "gap", `count ${count} follows ${previous} at ${where}: update ${missing} is missing`);
    } else if (count <= previous) {
      violate(key, state, "repeat", `count ${count} follows ${previous} at ${where}: an input record's effect appears twice, or the state went back`);
    }
    if (count <= inputs && (order === "input" || count === inputs) && sum !== prefix[count]) {
      const which = count === inputs ? `the final sum (update ${count} of ${inputs})` : `the sum of update ${count} of ${inputs}`;
      violate(key, state, "wrong-sum", `${which} is ${sum} at ${where}, expected ${prefix[count]}`);
    }
  }

  const violations: Issue<ViolationKind>[] = [];
  const shortfalls: Issue<ShortfallKind>[] = [];
  let completeKeys = 0;
  for (const [key, prefix] of prefixSums) {
    const inputs = prefix.length - 1;
    const state = states.get(key);
    if (state?.violation) violations.push(state.violation);
    if (!state) {
      shortfalls.push({ kind: "missing-key", key, message: `${key}: no update at all, expected counts 1–${inputs} ending with sum ${prefix[inputs]}` });
    } else if (state.lastCount === inputs) {
      completeKeys += 1;
    } else if (state.lastCount < inputs) {
      shortfalls.push({
        kind: "incomplete",
        key,
        message: `${key}: last update has count ${state.lastCount} of ${inputs} input records (counts so far, newest last: …${state.recent.join(", ")})`,
      });
    }
  }
  for (const key of unexpected) {
    const v = states.get(key)?.violation;
    if (v) violations.push(v);
  }
  violations.push(...nullKeys);

  return {
    inputRecords,
    outputRecords: output.length,
    keys: prefixSums.size,
    completeKeys,
    violations,
    shortfalls,
    complete: shortfalls.length === 0,
    ok: shortfalls.length === 0 && violations.length === 0,
  };
}

/** The verdict in a few lines: the counts, then the first `limit` violations and shortfalls (the first offending key first). */
export function describeReport(report: CountsReport, limit = 5): string {
  const lines = [
    `${report.outputRecords} output records for ${report.inputRecords} input records over ${report.keys} keys; ` +
      `${report.completeKeys} keys complete, ${report.violations.length} keys with wrong output, ${report.shortfalls.length} keys short`,
  ];
  if (report.violations.length > 0) {
    const counts = new Map<string, number>();
    for (const v of report.violations) counts.set(v.kind, (counts.get(v.kind) ?? 0) + 1);
    lines.push(`violations by kind: ${[...counts].map(([k, n]) => `${k} ${n}`).join(", ")}`);
    for (const v of report.violations.slice(0, limit)) lines.push(`  [${v.kind}] ${v.message}`);
  }
  for (const s of report.shortfalls.slice(0, report.violations.length > 0 ? 2 : limit)) lines.push(`  [${s.kind}] ${s.message}`);
  return lines.join("\n");
}
