// The CEP pattern API (in the spirit of Flink CEP): a sequence of named stages, each with a condition,
// a quantifier and a contiguity to the stage before it. Immutable: every call returns a new Pattern.

/** What an iterative condition sees: the events the partial match has taken so far, by stage. */
export interface ConditionContext<T> {
  /** Events the partial match took into `stage` so far, in order (not the event being tested). */
  eventsFor(stage: string): readonly T[];
}

export type Condition<T> = (event: T, context: ConditionContext<T>) => boolean;

/**
 * How a stage's event relates to the event taken before it:
 * - `strict` (`next`): it must be the very next event of the key;
 * - `relaxed` (`followedBy`): events that do not match are skipped; the first that matches is taken;
 * - `any` (`followedByAny`): every matching event is taken, and the partial match also waits for later ones.
 */
export type Contiguity = "strict" | "relaxed" | "any";

/**
 * What happens to other partial matches when a match is emitted:
 * - `noSkip`: nothing, every match is emitted (overlapping matches share events);
 * - `skipToNext`: partial matches that started with the same event as the match are dropped;
 * - `skipPastLastEvent`: partial matches that started at or before the match's last event are dropped,
 *   so matches never share an event.
 */
export type AfterMatchSkip = "noSkip" | "skipToNext" | "skipPastLastEvent";

/** One stage of a compiled pattern. */
export interface Stage<T> {
  readonly name: string;
  readonly condition: Condition<T>;
  /** Events the stage takes, at least and at most (Infinity for oneOrMore). */
  readonly min: number;
  readonly max: number;
  /** The stage may be skipped entirely (then it takes no event). */
  readonly optional: boolean;
  /** A looping stage keeps taking events rather than letting the next stage take them. */
  readonly greedy: boolean;
  /** Contiguity of the stage's first event to the event before it. */
  readonly contiguity: Contiguity;
  /** Contiguity between the repetitions of a looping stage (relaxed unless `consecutive()`/`allowCombinations()`). */
  readonly inner: Contiguity;
  /** `notNext` / `notFollowedBy`: an event matching the condition there kills the partial match. */
  readonly negated: boolean;
}

export interface PatternOptions {
  readonly afterMatch?: AfterMatchSkip;
}

/** A mistake in a pattern, found when it is built. */
export class PatternError extends Error {
  readonly code = "WEIR_PATTERN_INVALID";
  constructor(message: string) {
    super(`WEIR_PATTERN_INVALID: ${message}`);
    this.name = "PatternError";
  }
}

/** Starts a pattern over events of type T: `pattern<Payment>().begin("small").where(…)`. */
export function pattern<T>(options: PatternOptions = {}): { begin(name: string): Pattern<T> } {
  return { begin: (name) => new Pattern<T>([], undefined, options.afterMatch ?? "noSkip").append(name, "relaxed", false) };
}

const always = (): boolean => true;

export class Pattern<T> {
  readonly stages: readonly Stage<T>[];
  /** Every match spans less than this many milliseconds of event time (first to last event); undefined = unbounded. */
  readonly withinMs: number | undefined;
  readonly afterMatch: AfterMatchSkip;

  /** @internal Built by `pattern()` and by the methods below. */
  constructor(stages: readonly Stage<T>[], withinMs: number | undefined, afterMatch: AfterMatchSkip) {
    this.stages = stages;
    this.withinMs = withinMs;
    this.afterMatch = afterMatch;
  }

  /** Adds a condition to the current stage; several `where`s must all hold. */
  where(condition: Condition<T>): Pattern<T> {
    return this.update((s) => ({ condition: s.condition === always ? condition : and(s.condition, condition) }));
  }

  /** Widens the current stage's condition: it or `condition` must hold. */
  or(condition: Condition<T>): Pattern<T> {
    return this.update((s) => ({ condition: or(s.condition, condition) }));
  }

  /** Exactly `n` events, or between `min` and `max` events. */
  times(min: number, max: number = min): Pattern<T> {
    if (!Number.isInteger(min) || min < 1 || !(max === Infinity || Number.isInteger(max)) || max < min) {
      throw new PatternError(`times(${min}, ${max}) needs whole numbers with 1 ≤ min ≤ max (use optional() for zero)`);
    }
    return this.loop(min, max);
  }

  /** One event or more. */
  oneOrMore(): Pattern<T> {
    return this.loop(1, Infinity);
  }

  /** `n` events or more. */
  timesOrMore(n: number): Pattern<T> {
    return this.times(n, Infinity);
  }

  /** The stage may take no event at all (with `times(n)`: none or n). */
  optional(): Pattern<T> {
    return this.update(() => ({ optional: true }), "optional()");
  }

  /** A looping stage takes every event it can before the next stage may take one. */
  greedy(): Pattern<T> {
    return this.loopOption("greedy()", { greedy: true });
  }

  /** The repetitions of a looping stage must be consecutive events of the key. */
  consecutive(): Pattern<T> {
    return this.loopOption("consecutive()", { inner: "strict" });
  }

  /** Repetitions of a looping stage may be any combination of matching events (skip till any match). */
  allowCombinations(): Pattern<T> {
    return this.loopOption("allowCombinations()", { inner: "any" });
  }

  /** A new stage whose first event must directly follow the previous stage's last event. */
  next(name: string): Pattern<T> {
    return this.append(name, "strict", false);
  }

  /** A new stage; events that do not match it are skipped until one does. */
  followedBy(name: string): Pattern<T> {
    return this.append(name, "relaxed", false);
  }

  /** A new stage that may take any later matching event (each one starts its own branch). */
  followedByAny(name: string): Pattern<T> {
    return this.append(name, "any", false);
  }

  /** The event right after the previous stage must not match this stage's condition. */
  notNext(name: string): Pattern<T> {
    return this.append(name, "strict", true);
  }

  /** No event between the previous stage and the next one may match this stage's condition. */
  notFollowedBy(name: string): Pattern<T> {
    return this.append(name, "relaxed", true);
  }

  /** Matches span less than `ms` of event time; partial matches older than that time out. */
  within(ms: number): Pattern<T> {
    if (!Number.isSafeInteger(ms) || ms <= 0) throw new PatternError(`within(${ms}) needs a whole number of milliseconds > 0`);
    return new Pattern(this.stages, ms, this.afterMatch);
  }

  /** Checks the pattern as a whole; the NFA calls it before running. */
  validate(): void {
    const last = this.stages[this.stages.length - 1]!;
    if (last.negated && last.contiguity === "strict") throw new PatternError(`notNext(${last.name}) cannot end a pattern`);
    if (last.negated && this.withinMs === undefined) {
      throw new PatternError(`notFollowedBy(${last.name}) ends the pattern, so the pattern needs within(): the match is emitted when that time has passed`);
    }
    if (this.stages.every((s) => s.optional || s.negated)) throw new PatternError("every stage is optional: the pattern would match nothing");
  }

  /** @internal */
  append(name: string, contiguity: Contiguity, negated: boolean): Pattern<T> {
    if (this.stages.some((s) => s.name === name)) throw new PatternError(`two stages are named ${name}`);
    const previous = this.stages[this.stages.length - 1];
    if (negated && (previous === undefined || previous.negated || previous.optional)) {
      throw new PatternError(`${name}: a negated stage must follow a stage that is neither optional nor negated`);
    }
    const stage: Stage<T> = { name, condition: always, min: 1, max: 1, optional: false, greedy: false, contiguity, inner: "relaxed", negated };
    return new Pattern([...this.stages, stage], this.withinMs, this.afterMatch);
  }

  private loop(min: number, max: number): Pattern<T> {
    return this.update(() => ({ min, max }), "times()/oneOrMore()");
  }

  private loopOption(what: string, change: Partial<Stage<T>>): Pattern<T> {
    return this.update((s) => {
      if (s.max === 1) throw new PatternError(`${what} on stage ${s.name} needs a looping stage (times, oneOrMore) before it`);
      return change;
    });
  }

  private update(change: (stage: Stage<T>) => Partial<Stage<T>>, positiveOnly?: string): Pattern<T> {
    const current = this.stages[this.stages.length - 1]!;
    if (positiveOnly && current.negated) throw new PatternError(`${positiveOnly} cannot apply to the negated stage ${current.name}`);
    const stages = [...this.stages.slice(0, -1), { ...current, ...change(current) }];
    return new Pattern(stages, this.withinMs, this.afterMatch);
  }
}

function and<T>(a: Condition<T>, b: Condition<T>): Condition<T> {
  return (event, context) => a(event, context) && b(event, context);
}

function or<T>(a: Condition<T>, b: Condition<T>): Condition<T> {
  return (event, context) => a(event, context) || b(event, context);
}
