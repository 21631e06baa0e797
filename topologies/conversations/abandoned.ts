// The abandoned-conversation detector: a Processor API processor with per-conversation event-time timers.
//
// While a conversation has a user turn that no assistant answer followed (an "unanswered episode"), its
// watch sits in the `abandon-watch` store with up to two timers:
// - reply timer, while the latest turn is the user's: at (first user turn since the last assistant turn) + 2 min;
// - idle timer: at (the episode's latest event) + 10 min, e.g. the model failed and the user went quiet.
// An answer (an assistant turn without an error) ends the episode: the watch and its timers are deleted.
// The first timer to fire emits one `abandoned` record and ends the episode the same way. Timers live in
// the task's state file with a changelog and are deleted in the transaction that writes their output, so
// each episode yields at most one record, across crashes and restarts. A conversation that resumes later
// starts a new episode. Everything runs in event time: a timer fires once the task's stream time reaches it.
import type { KeyValueStoreRef, Processor, ProcessorContext, StreamRecord, Timer, KeyValueStore } from "weir-streams";
import { isAnswer, type ChatEvent } from "./chat.ts";

export const replyTimeoutMs = 2 * 60_000;
export const idleTimeoutMs = 10 * 60_000;

export type AbandonReason = "no-reply" | "idle";

/** One unanswered episode of a conversation. */
export interface Watch {
  /** The episode's first user turn. */
  readonly unansweredSinceMs: number;
  /** The first user turn since the last assistant turn; null when the latest assistant turn failed. */
  readonly awaitingReplySinceMs: number | null;
  readonly lastEventMs: number;
  readonly lastUserTurn: number;
  readonly model: string;
}

export interface Abandoned {
  readonly conversationId: string;
  /** "no-reply": no assistant turn within 2 minutes of a user turn; "idle": no activity for 10 minutes after a failed reply. */
  readonly reason: AbandonReason;
  readonly unansweredSinceMs: number;
  readonly lastEventMs: number;
  readonly lastUserTurn: number;
  readonly model: string;
  /** The timer's time, also the record's timestamp. */
  readonly abandonedAtMs: number;
}

export class AbandonedConversationDetector implements Processor<string, ChatEvent, string, Abandoned> {
  private readonly storeRef: KeyValueStoreRef<string, Watch>;
  private context!: ProcessorContext<string, Abandoned, string>;
  private watches!: KeyValueStore<string, Watch>;

  constructor(store: KeyValueStoreRef<string, Watch>) {
    this.storeRef = store;
  }

  init(context: ProcessorContext<string, Abandoned, string>): void {
    this.context = context;
    this.watches = context.getStateStore(this.storeRef);
  }

  process(record: StreamRecord<string, ChatEvent>): void {
    const id = record.key;
    const event = record.value;
    const watch = this.watches.get(id);
    if (isAnswer(event)) {
      if (watch) this.end(id, watch);
      return;
    }
    const t = record.timestamp;
    if (event.role === "assistant") {
      // A failed call: the user is no longer waiting on a reply, but the episode stays open (idle timer).
      if (!watch) return;
      this.replace(id, watch, { ...watch, awaitingReplySinceMs: null, lastEventMs: Math.max(watch.lastEventMs, t) });
      return;
    }
    const awaiting = watch?.awaitingReplySinceMs ?? null;
    const next: Watch = {
      unansweredSinceMs: Math.min(watch?.unansweredSinceMs ?? t, t),
      awaitingReplySinceMs: awaiting === null ? t : Math.min(awaiting, t),
      lastEventMs: Math.max(watch?.lastEventMs ?? t, t),
      lastUserTurn: Math.max(watch?.lastUserTurn ?? 0, event.turn),
      model: event.model,
    };
    this.replace(id, watch, next);
  }

  onTimer(timer: Timer<string>, context: ProcessorContext<string, Abandoned, string>): void {
    const watch = this.watches.get(timer.key);
    if (!watch) return;
    const reason = timer.payload as AbandonReason;
    this.end(timer.key, watch);
    context.forward({
      key: timer.key,
      value: {
        conversationId: timer.key,
        reason,
        unansweredSinceMs: watch.unansweredSinceMs,
        lastEventMs: watch.lastEventMs,
        lastUserTurn: watch.lastUserTurn,
        model: watch.model,
        abandonedAtMs: timer.timeMs,
      },
      timestamp: timer.timeMs,
      headers: {},
    });
  }

  /** Stores `next` and moves the timers from where `previous` had them to where `next` needs them. */
  private replace(id: string, previous: Watch | undefined, next: Watch): void {
    const timers = this.context.timers;
    const oldReply = previous ? replyDue(previous) : null;
    const newReply = replyDue(next);
    if (oldReply !== newReply) {
      if (oldReply !== null) timers.delete(id, oldReply, { type: "eventTime" });
      if (newReply !== null) timers.register(id, newReply, { type: "eventTime", payload: "no-reply" });
    }
    const oldIdle = previous ? previous.lastEventMs + idleTimeoutMs : null;
    const newIdle = next.lastEventMs + idleTimeoutMs;
    if (oldIdle !== newIdle) {
      if (oldIdle !== null) timers.delete(id, oldIdle, { type: "eventTime" });
      timers.register(id, newIdle, { type: "eventTime", payload: "idle" });
    }
    this.watches.put(id, next);
  }

  /** Ends the episode: deletes the watch and whichever of its timers has not fired. */
  private end(id: string, watch: Watch): void {
    const reply = replyDue(watch);
    if (reply !== null) this.context.timers.delete(id, reply, { type: "eventTime" });
    this.context.timers.delete(id, watch.lastEventMs + idleTimeoutMs, { type: "eventTime" });
    this.watches.delete(id);
  }
}

function replyDue(watch: Watch): number | null {
  return watch.awaitingReplySinceMs === null ? null : watch.awaitingReplySinceMs + replyTimeoutMs;
}
