// The time-driven side of a task: its processors' per-key timers and its punctuators. Event-time timers and
// stream-time punctuators fire right after the record that moved stream time past them; processing-time
// timers and wall-clock punctuators fire on the runtime's tick (StreamTask.punctuate).
import { PunctuationQueue, type Cancellable, type PunctuationType, type Punctuator } from "../processor/punctuators.ts";
import type { ProcessorTimers, Timer } from "../processor/timers.ts";

/** Runs `call` as node `node` doing `what`; the task names both in an error. */
export type RunAs = (node: string, what: string, call: () => void) => void;

interface NodeTimers {
  readonly node: string;
  readonly timers: ProcessorTimers<unknown>;
  readonly onTimer: (timer: Timer<unknown>) => void;
}

export class TaskTime {
  private readonly nodes: NodeTimers[] = [];
  private readonly streamTime = new PunctuationQueue();
  private readonly wallClock = new PunctuationQueue();
  private readonly runAs: RunAs;

  constructor(runAs: RunAs) {
    this.runAs = runAs;
  }

  /** False until a processor has timers or a punctuator: until then the task skips the per-record check. */
  inUse = false;

  addTimers(node: string, timers: ProcessorTimers<unknown>, onTimer: (timer: Timer<unknown>) => void): void {
    this.nodes.push({ node, timers, onTimer });
    this.inUse = true;
  }

  schedule(node: string, intervalMs: number, type: PunctuationType, punctuator: Punctuator, nowMs: number): Cancellable {
    this.inUse = true;
    if (type === "streamTime") return this.streamTime.schedule(0, intervalMs, node, punctuator);
    if (type === "wallClockTime") return this.wallClock.schedule(nowMs + intervalMs, intervalMs, node, punctuator);
    throw new Error(`a punctuation type is "streamTime" or "wallClockTime", got ${String(type)}`);
  }

  /** After a record: event-time timers, then stream-time punctuators, due at `streamTimeMs`. Returns how many fired. */
  advanceStreamTime(streamTimeMs: number): number {
    let fired = 0;
    for (const n of this.nodes) {
      if (n.timers.dueAtMs("eventTime") > streamTimeMs) continue;
      this.runAs(n.node, `an event-time timer at stream time ${streamTimeMs}`, () => {
        fired += n.timers.fire("eventTime", streamTimeMs, n.onTimer);
      });
    }
    return fired + this.streamTime.punctuate(streamTimeMs, (node, call) => this.runAs(node, "a stream-time punctuator", call));
  }

  /** On the runtime's tick: processing-time timers, then wall-clock punctuators, due at `nowMs`. Returns how many fired. */
  advanceWallClock(nowMs: number): number {
    let fired = 0;
    for (const n of this.nodes) {
      if (n.timers.dueAtMs("processingTime") > nowMs) continue;
      this.runAs(n.node, `a processing-time timer at ${nowMs}`, () => {
        fired += n.timers.fire("processingTime", nowMs, n.onTimer);
      });
    }
    return fired + this.wallClock.punctuate(nowMs, (node, call) => this.runAs(node, "a wall-clock punctuator", call));
  }

  /** The timer stores changed behind the timers (rollback, restore). */
  forgetEarliest(): void {
    for (const n of this.nodes) n.timers.forgetEarliest();
  }
}
