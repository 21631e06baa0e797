// The NFA that runs a Pattern over one key's events. Pure: the state is plain data (JSON-friendly when
// the events are), every call returns a new state, and nothing here knows of stores or Kafka.
//
// A partial match is a "run" waiting to take its next event into one stage; a run that could go on in
// several ways (take one more event into a loop, or move to the next stage, skipping optional stages)
// is split into one run per way when it takes an event. Runs refer to their events by sequence number
// (one counter per key); the events themselves are kept once in the state's buffer.
import { PatternError, type AfterMatchSkip, type ConditionContext, type Pattern, type Stage } from "./pattern.ts";

export interface BufferedEvent<T> {
  /** The key's event counter: strict contiguity compares these. */
  readonly seq: number;
  readonly timestamp: number;
  readonly value: T;
}

/** A partial match, waiting to take an event into `stage` (= stages.length: waiting for a trailing notFollowedBy to pass). */
export interface Run {
  readonly stage: number;
  /** Events already taken into `stage`. */
  readonly count: number;
  /** [stage index, event seq] of every event taken, in order. */
  readonly taken: readonly (readonly [number, number])[];
  /** Timestamp of its first event. */
  readonly start: number;
  /** A greedy loop stage whose next event cancels this run (-1: none). */
  readonly greedyOf: number;
}

/** One key's matching state: stored per key, bounded by `within` (partial matches older than it time out). */
export interface NfaState<T> {
  /** Sequence number of the last event of the key (0: none yet). */
  readonly seq: number;
  /** Every event some run refers to, by ascending seq. */
  readonly events: readonly BufferedEvent<T>[];
  readonly runs: readonly Run[];
}

/** A match: the events of each stage (stages that took none are absent), first and last timestamps. */
export interface Match<T> {
  readonly events: Readonly<Record<string, readonly T[]>>;
  readonly start: number;
  /** Timestamp of the last event; for a pattern ending in notFollowedBy, the time it was emitted (start + within). */
  readonly end: number;
}

/** A partial match that did not complete within the pattern's `within`. */
export interface TimedOutMatch<T> {
  readonly events: Readonly<Record<string, readonly T[]>>;
  readonly start: number;
  /** start + within: when it timed out. */
  readonly timeoutAt: number;
}

export interface NfaResult<T> {
  readonly state: NfaState<T>;
  readonly matches: Match<T>[];
  readonly timeouts: TimedOutMatch<T>[];
}

export class Nfa<T> {
  readonly stages: readonly Stage<T>[];
  readonly withinMs: number | undefined;
  private readonly afterMatch: AfterMatchSkip;
  private readonly stageIndex: Map<string, number>;
  /** The runs every event is offered to: an empty partial match waiting at the first stage(s). */
  private readonly initialRuns: Run[] = [];

  constructor(pattern: Pattern<T>) {
    pattern.validate();
    this.stages = pattern.stages;
    this.withinMs = pattern.withinMs;
    this.afterMatch = pattern.afterMatch;
    this.stageIndex = new Map(this.stages.map((s, i) => [s.name, i]));
    const found: Run[] = [];
    this.expand([], -1, 0, 0, this.initialRuns, found);
  }

  initialState(): NfaState<T> {
    return { seq: 0, events: [], runs: [] };
  }

  /** The earliest time a run of `state` times out, or undefined (no runs, or no `within`). */
  nextTimeout(state: NfaState<T>): number | undefined {
    if (this.withinMs === undefined || state.runs.length === 0) return undefined;
    let first = Infinity;
    for (const run of state.runs) first = Math.min(first, run.start);
    return first + this.withinMs;
  }

  /** Event time reached `time`: runs with start + within ≤ time time out (or match, when only a notFollowedBy was left). */
  advanceTime(state: NfaState<T>, time: number): NfaResult<T> {
    const events = bySeq(state.events);
    const { live, matches, timeouts } = this.expire(state.runs, time, events);
    const runs = this.skipAfter(matches, live);
    return { state: this.compact(state.seq, runs, events), matches: matches.map((m) => this.toMatch(m, events)), timeouts };
  }

  /** Offers one event of the key to every run, after timing out what `timestamp` has passed. */
  advance(state: NfaState<T>, value: T, timestamp: number): NfaResult<T> {
    const events = bySeq(state.events);
    const expired = this.expire(state.runs, timestamp, events);
    const seq = state.seq + 1;
    const event: BufferedEvent<T> = { seq, timestamp, value };
    events.set(seq, event);
    const next: Run[] = [];
    const found: Run[] = [];
    for (const run of expired.live) this.step(run, event, events, next, found, true);
    for (const run of this.initialRuns) this.step(run, event, events, next, found, false);
    const completed = [...expired.matches, ...found];
    const runs = this.skipAfter(completed, next);
    const emitted = this.emitted(completed);
    return { state: this.compact(seq, runs, events), matches: emitted.map((m) => this.toMatch(m, events)), timeouts: expired.timeouts };
  }

  /** Offers `event` to one run: it may take it (new runs), die, or stay as it is (`keep`). */
  private step(run: Run, event: BufferedEvent<T>, events: Map<number, BufferedEvent<T>>, next: Run[], found: Run[], stored: boolean): void {
    const lastSeq = run.taken.length === 0 ? event.seq - 1 : run.taken[run.taken.length - 1]![1];
    const adjacent = lastSeq === event.seq - 1;
    if (run.count === 0 && this.guardBroken(run, event, adjacent, events)) return;
    if (run.stage === this.stages.length) {
      if (stored) next.push(run); // waiting for its trailing notFollowedBy to pass; only time completes it
      return;
    }
    if (run.greedyOf >= 0 && this.loopWouldTake(run, event, adjacent, events)) return;
    const stage = this.stages[run.stage]!;
    const contiguity = run.count === 0 ? stage.contiguity : stage.inner;
    const inTime = this.withinMs === undefined || run.taken.length === 0 || event.timestamp - run.start < this.withinMs;
    let took = false;
    if ((contiguity !== "strict" || adjacent) && inTime && stage.condition(event.value, this.context(run, events))) {
      took = true;
      const start = run.taken.length === 0 ? event.timestamp : run.start;
      this.expand([...run.taken, [run.stage, event.seq]], run.stage, run.count + 1, start, next, found);
    }
    // strict: the chance was this event; relaxed: skips events it cannot take; any: keeps waiting regardless.
    if (stored && (contiguity === "any" || (contiguity === "relaxed" && !took))) next.push(run);
  }

  /**
   * The runs that follow a take into stage `k` (its `count`th event): one more event into `k`, and when
   * `k` has enough, each following stage up to and including the first one that is not optional.
   */
  private expand(taken: Run["taken"], k: number, count: number, start: number, next: Run[], found: Run[]): void {
    const stage = this.stages[k];
    if (stage && count < stage.max) next.push({ stage: k, count, taken, start, greedyOf: -1 });
    if (stage && count < stage.min) return;
    const greedyOf = stage && stage.greedy && count < stage.max ? k : -1;
    let passedNegation = false;
    for (let j = k + 1; ; j++) {
      if (j === this.stages.length) {
        if (passedNegation) next.push({ stage: j, count: 0, taken, start, greedyOf });
        else found.push({ stage: j, count: 0, taken, start, greedyOf });
        return;
      }
      const s = this.stages[j]!;
      if (s.negated) {
        passedNegation = true;
        continue;
      }
      next.push({ stage: j, count: 0, taken, start, greedyOf });
      if (!s.optional) return;
    }
  }

  /** notNext / notFollowedBy between the run's last event and the stage it waits for: does `event` break one? */
  private guardBroken(run: Run, event: BufferedEvent<T>, adjacent: boolean, events: Map<number, BufferedEvent<T>>): boolean {
    if (run.taken.length === 0) return false;
    const lastStage = run.taken[run.taken.length - 1]![0];
    for (let j = lastStage + 1; j < run.stage; j++) {
      const s = this.stages[j]!;
      if (!s.negated || (s.contiguity === "strict" && !adjacent)) continue;
      if (s.condition(event.value, this.context(run, events))) return true;
    }
    return false;
  }

  /** Would the greedy loop this run left take `event`? Then the loop's own run takes it and this one ends. */
  private loopWouldTake(run: Run, event: BufferedEvent<T>, adjacent: boolean, events: Map<number, BufferedEvent<T>>): boolean {
    const loop = this.stages[run.greedyOf]!;
    if (loop.inner === "strict" && !adjacent) return false;
    if (this.withinMs !== undefined && event.timestamp - run.start >= this.withinMs) return false;
    return loop.condition(event.value, this.context(run, events));
  }

  private expire(runs: readonly Run[], time: number, events: Map<number, BufferedEvent<T>>) {
    const within = this.withinMs;
    const live: Run[] = [];
    const matches: Run[] = [];
    const timeouts: TimedOutMatch<T>[] = [];
    const seen = new Set<string>();
    for (const run of runs) {
      if (within === undefined || time < run.start + within) {
        live.push(run);
        continue;
      }
      if (run.stage === this.stages.length) {
        matches.push(run);
        continue;
      }
      // The runs split from one take have the same events: one timeout per partial match.
      const id = run.taken.join(";");
      if (!seen.has(id)) {
        seen.add(id);
        timeouts.push({ events: this.eventsByStage(run, events), start: run.start, timeoutAt: run.start + within });
      }
    }
    return { live, matches, timeouts };
  }

  /** The completed runs that the after-match skip strategy lets through, in order. */
  private emitted(completed: readonly Run[]): Run[] {
    const out: Run[] = [];
    for (const run of completed) if (!out.some((m) => this.skips(m, run))) out.push(run);
    return out;
  }

  /** Drops the runs the emitted matches skip past. */
  private skipAfter(completed: readonly Run[], runs: readonly Run[]): Run[] {
    const emitted = this.emitted(completed);
    if (emitted.length === 0 || this.afterMatch === "noSkip") return [...runs];
    return runs.filter((run) => !emitted.some((m) => this.skips(m, run)));
  }

  /** Does emitting `match` discard `run` (a partial match or another completed one)? */
  private skips(match: Run, run: Run): boolean {
    if (this.afterMatch === "noSkip" || run === match) return false;
    const first = run.taken[0]?.[1];
    if (first === undefined) return false;
    if (this.afterMatch === "skipToNext") return first === match.taken[0]![1];
    return first <= match.taken[match.taken.length - 1]![1];
  }

  private toMatch(run: Run, events: Map<number, BufferedEvent<T>>): Match<T> {
    const last = events.get(run.taken[run.taken.length - 1]![1])!;
    const trailingNegation = this.stages[this.stages.length - 1]!.negated;
    return { events: this.eventsByStage(run, events), start: run.start, end: trailingNegation ? run.start + this.withinMs! : last.timestamp };
  }

  private eventsByStage(run: Run, events: Map<number, BufferedEvent<T>>): Record<string, T[]> {
    const out: Record<string, T[]> = {};
    for (const [stage, seq] of run.taken) (out[this.stages[stage]!.name] ??= []).push(events.get(seq)!.value);
    return out;
  }

  private context(run: Run, events: Map<number, BufferedEvent<T>>): ConditionContext<T> {
    return {
      eventsFor: (name) => {
        const index = this.stageIndex.get(name);
        if (index === undefined) throw new PatternError(`a condition asked for events of stage ${name}, which the pattern does not have`);
        return run.taken.filter(([stage]) => stage === index).map(([, seq]) => events.get(seq)!.value);
      },
    };
  }

  /** The new state: the runs, and only the events they refer to. */
  private compact(seq: number, runs: readonly Run[], events: Map<number, BufferedEvent<T>>): NfaState<T> {
    const used = new Set<number>();
    for (const run of runs) for (const [, s] of run.taken) used.add(s);
    const kept = [...used].sort((a, b) => a - b).map((s) => events.get(s)!);
    return { seq, events: kept, runs };
  }
}

function bySeq<T>(events: readonly BufferedEvent<T>[]): Map<number, BufferedEvent<T>> {
  return new Map(events.map((e) => [e.seq, e]));
}

/** True when the key has nothing to remember but its event counter. */
export function isIdle<T>(state: NfaState<T>): boolean {
  return state.runs.length === 0;
}
