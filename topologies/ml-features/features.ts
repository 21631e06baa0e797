// The per-user feature computation: exact trailing-window counts and sums (5 min, 1 h, 24 h), distinct
// items per window and the gap between the user's two latest events, kept up to date by event-time timers.
//
// Each user's windows are evaluated at the user's own time `asOf`: the latest event time seen for the user,
// or the time of an expiry timer. A window of width W holds the user's events with asOf − W < time ≤ asOf.
// The events of the last 24 h are kept one row each (key: user, time, sequence number), so a window's running
// counts are corrected exactly when an event leaves it: the rows whose time passed out of (asOf − W, asOf]
// are read by a key range and subtracted. Each event is added once and subtracted once per window, so the
// cost per event is constant however many events a user has; distinct items are exact (per-window item
// counts, a row per user, window and item), bounded by the events kept.
import type { KeyValueStore, KeyValueStoreRef, Processor, ProcessorContext, StreamRecord, Timer } from "weir-streams";

export const eventTypes = ["view", "click", "add_to_cart", "purchase"] as const;
export type EventType = (typeof eventTypes)[number];

export interface UserEvent {
  readonly userId: string;
  readonly type: EventType;
  readonly itemId: string;
  /** The purchase amount (a purchase), the item's price (add_to_cart), 0 otherwise; in currency units. */
  readonly amount: number;
  /** Event time, epoch ms; the topology uses it as the record's event time. */
  readonly time: number;
}

export interface WindowFeatures {
  readonly events: number;
  readonly views: number;
  readonly clicks: number;
  readonly addToCarts: number;
  readonly purchases: number;
  /** The sum of purchase amounts. */
  readonly purchaseAmount: number;
  readonly distinctItems: number;
}

export interface UserFeatures {
  readonly userId: string;
  /** The time the windows are evaluated at: the user's latest event, or a later expiry. */
  readonly asOf: number;
  readonly lastEventAt: number;
  /** The gap between the user's two latest event times; null after the first event. */
  readonly msSincePreviousEvent: number | null;
  readonly last5m: WindowFeatures;
  readonly last1h: WindowFeatures;
  readonly last24h: WindowFeatures;
}

/** The windows, smallest first: an event leaves the 24 h window last, and then its row is deleted. */
export const windows = [
  { name: "last5m", ms: 5 * 60_000 },
  { name: "last1h", ms: 60 * 60_000 },
  { name: "last24h", ms: 24 * 60 * 60_000 },
] as const;
const longestMs = windows[windows.length - 1]!.ms;

/** Running counts of one window; amounts in cents, so that subtracting what leaves is exact. */
interface Counts {
  views: number;
  clicks: number;
  addToCarts: number;
  purchases: number;
  purchaseCents: number;
  distinctItems: number;
}

export interface UserState {
  asOf: number;
  lastEventAt: number;
  previousEventAt: number | null;
  /** Sequence number of the user's next event row: rows with equal times stay distinct. */
  seq: number;
  /** Per window, in the order of `windows`. */
  counts: Counts[];
  /** The time of the user's pending expiry timer, if any. */
  expiryAt: number | null;
}

/** One event kept for the windows: [time, type, item, amount in cents]. */
export type LoggedEvent = readonly [number, EventType, string, number];

export interface FeatureStores {
  readonly state: KeyValueStoreRef<string, UserState>;
  /** `<user>\0<time, 15 digits>\0<seq, 10 digits>` → the event. */
  readonly events: KeyValueStoreRef<string, LoggedEvent>;
  /** `<user>\0<window>\0<item>` → the item's events in the window. */
  readonly items: KeyValueStoreRef<string, number>;
}

const pad = (n: number, width: number) => String(n).padStart(width, "0");
const eventKey = (user: string, time: number, seq: number) => `${user}\0${pad(Math.max(0, time), 15)}\0${pad(seq, 10)}`;
const itemKey = (user: string, window: number, item: string) => `${user}\0${windows[window]!.name}\0${item}`;
const maxSeq = 9_999_999_999;

export class UserFeatureProcessor implements Processor<string, UserEvent, string, UserFeatures> {
  private readonly stores: FeatureStores;
  private context!: ProcessorContext<string, UserFeatures, string>;
  private state!: KeyValueStore<string, UserState>;
  private events!: KeyValueStore<string, LoggedEvent>;
  private items!: KeyValueStore<string, number>;

  constructor(stores: FeatureStores) {
    this.stores = stores;
  }

  init(context: ProcessorContext<string, UserFeatures, string>): void {
    this.context = context;
    this.state = context.getStateStore(this.stores.state);
    this.events = context.getStateStore(this.stores.events);
    this.items = context.getStateStore(this.stores.items);
  }

  process(record: StreamRecord<string, UserEvent>): void {
    const user = record.key;
    const event = record.value;
    if (user === null || user === undefined || user.includes("\0")) return this.context.dropRecord("ml-features: no user id");
    if (!eventTypes.includes(event.type) || !(event.amount >= 0)) return this.context.dropRecord("ml-features: invalid event");
    const time = record.timestamp;
    const state = this.state.get(user) ?? newState(time);
    if (time <= state.asOf - longestMs) return this.context.dropRecord("ml-features: older than the user's 24 h window");
    this.advance(user, state, time);

    if (time >= state.lastEventAt) {
      if (state.seq > 0) state.previousEventAt = state.lastEventAt;
      state.lastEventAt = time;
    } else if (state.previousEventAt === null || time > state.previousEventAt) {
      state.previousEventAt = time;
    }
    const logged: LoggedEvent = [time, event.type, event.itemId, Math.round(event.amount * 100)];
    this.events.put(eventKey(user, time, state.seq++), logged);
    windows.forEach((w, i) => {
      if (time > state.asOf - w.ms) this.count(user, state, i, logged, +1);
    });
    this.finish(user, state, state.asOf);
  }

  onTimer(timer: Timer<string>): void {
    const state = this.state.get(timer.key);
    if (state === undefined) return;
    state.expiryAt = null;
    this.advance(timer.key, state, timer.timeMs);
    this.finish(timer.key, state, timer.timeMs);
  }

  /** Moves the user's windows to end at `to`, subtracting the events that leave them. */
  private advance(user: string, state: UserState, to: number): void {
    if (to <= state.asOf) return;
    windows.forEach((w, i) => {
      const leftFrom = state.asOf - w.ms; // exclusive
      const leftTo = to - w.ms; // inclusive
      if (leftTo < 0) return;
      const leaving = [...this.events.range(eventKey(user, leftFrom + 1, 0), eventKey(user, leftTo, maxSeq))];
      for (const [key, logged] of leaving) {
        this.count(user, state, i, logged, -1);
        if (i === windows.length - 1) this.events.delete(key);
      }
    });
    state.asOf = to;
  }

  private count(user: string, state: UserState, window: number, [, type, item, cents]: LoggedEvent, sign: 1 | -1): void {
    const c = state.counts[window]!;
    if (type === "view") c.views += sign;
    else if (type === "click") c.clicks += sign;
    else if (type === "add_to_cart") c.addToCarts += sign;
    else {
      c.purchases += sign;
      c.purchaseCents += sign * cents;
    }
    const key = itemKey(user, window, item);
    const n = (this.items.get(key) ?? 0) + sign;
    if (n === 0) this.items.delete(key);
    else this.items.put(key, n);
    if (n === 0) c.distinctItems--;
    else if (n === 1 && sign === 1) c.distinctItems++;
  }

  /** Stores the state, sets the timer for the next time an event leaves a window, forwards the features. */
  private finish(user: string, state: UserState, timestamp: number): void {
    let next: number | null = null;
    windows.forEach((w) => {
      const oldest = this.events.range(eventKey(user, state.asOf - w.ms + 1, 0), eventKey(user, state.asOf, maxSeq)).next();
      if (oldest.done !== true) {
        const leaves = oldest.value[1][0] + w.ms;
        if (next === null || leaves < next) next = leaves;
      }
    });
    if (next !== state.expiryAt) {
      if (state.expiryAt !== null) this.context.timers.delete(user, state.expiryAt, { type: "eventTime" });
      if (next !== null) this.context.timers.register(user, next, { type: "eventTime" });
      state.expiryAt = next;
    }
    this.state.put(user, state);
    this.context.forward({ key: user, value: featuresOf(user, state), timestamp, headers: {} });
  }
}

function newState(time: number): UserState {
  const counts = windows.map(() => ({ views: 0, clicks: 0, addToCarts: 0, purchases: 0, purchaseCents: 0, distinctItems: 0 }));
  return { asOf: time, lastEventAt: time, previousEventAt: null, seq: 0, counts, expiryAt: null };
}

function featuresOf(user: string, state: UserState): UserFeatures {
  const window = (c: Counts): WindowFeatures => ({
    events: c.views + c.clicks + c.addToCarts + c.purchases,
    views: c.views,
    clicks: c.clicks,
    addToCarts: c.addToCarts,
    purchases: c.purchases,
    purchaseAmount: c.purchaseCents / 100,
    distinctItems: c.distinctItems,
  });
  return {
    userId: user,
    asOf: state.asOf,
    lastEventAt: state.lastEventAt,
    msSincePreviousEvent: state.previousEventAt === null ? null : state.lastEventAt - state.previousEventAt,
    last5m: window(state.counts[0]!),
    last1h: window(state.counts[1]!),
    last24h: window(state.counts[2]!),
  };
}
