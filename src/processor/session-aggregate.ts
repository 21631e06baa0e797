// The aggregation of session windows (Kafka Streams' KStreamSessionWindowAggregate): a record at t joins
// every open session of its key that ends within the inactivity gap before t or starts within the gap after
// it; those sessions merge into one [earliest start, latest end] with their aggregates combined by the
// merger, the merged-away sessions are deleted (a tombstone goes downstream for each), and the result
// is stored and forwarded with the session's end as its timestamp. A session closes once stream time
// passes its end + gap + grace: until then a record could still extend it (Kafka Streams' close time);
// after, it is final and no record merges into it. With EmitStrategy.onWindowClose only closed sessions
// go downstream, once each, read from the store (SessionCloseEmitter).
import type { SessionStore } from "../state/types.ts";
import type { Aggregator, Initializer } from "./aggregate.ts";
import { dropLate, hasKey, type WindowedOutputs } from "./late-records.ts";
import type { Processor, ProcessorContext } from "./processor.ts";
import type { StreamRecord } from "./record.ts";
import type { Windowed } from "./windowed.ts";
import { ObservedStreamTime, type StateResetAware } from "./observed-stream-time.ts";

export type Merger<K, A> = (key: K, left: A, right: A) => A;

export class SessionAggregateProcessor<K, V, A> implements Processor<K, V, Windowed<K>, A | null>, StateResetAware {
  private readonly gapMs: number;
  private readonly graceMs: number;
  private readonly initializer: Initializer<A> | undefined;
  private readonly aggregator: Aggregator<K, V, A>;
  private readonly merger: Merger<K, A>;
  private readonly outputs: WindowedOutputs;
  /** EmitStrategy.onWindowClose: each session leaves once, when it closes; no updates, no tombstones. */
  private readonly onClose: boolean;
  private context!: ProcessorContext<Windowed<K>, A | null>;
  private store!: SessionStore<K, A>;
  private readonly streamTime = new ObservedStreamTime(() => this.store.observedStreamTimeMs());

  /** Without an initializer a new session's first value is its aggregate (reduce). */
  constructor(gapMs: number, graceMs: number, initializer: Initializer<A> | undefined, aggregator: Aggregator<K, V, A>, merger: Merger<K, A>, outputs: WindowedOutputs, onClose = false) {
    this.gapMs = gapMs;
    this.graceMs = graceMs;
    this.initializer = initializer;
    this.aggregator = aggregator;
    this.merger = merger;
    this.outputs = outputs;
    this.onClose = onClose;
  }

  init(context: ProcessorContext<Windowed<K>, A | null>): void {
    this.context = context;
    this.store = context.getStateStore<SessionStore<K, A>>(this.outputs.store);
  }

  stateReset(): void {
    this.streamTime.reset();
  }

  process(record: StreamRecord<K, V>): void {
    if (!hasKey(this.context as ProcessorContext<unknown, unknown>, record)) return;
    const key = record.key;
    const t = record.timestamp;
    // A session stays open for a gap after its end (a record there still extends it), then for grace.
    // Sessions include their end: a session is closed once end < stream time − gap − grace, the aggregation's
    // own stream time (observed-stream-time.ts): records it never saw (a null key) close no session.
    const closeTime = this.streamTime.observe(t) - this.gapMs - this.graceMs;
    // A closed session is final (its result may be out, through onWindowClose or suppress): a record near it
    // starts a session of its own, as in Kafka Streams, whose store has expired the closed session by then.
    const merged = this.store.findSessions(key, t - this.gapMs, t + this.gapMs).filter((s) => s.end >= closeTime);
    let start = t;
    let end = t;
    let aggregate: A | undefined = this.initializer ? this.initializer() : undefined;
    for (const session of merged) {
      start = Math.min(start, session.start);
      end = Math.max(end, session.end);
      aggregate = aggregate === undefined ? session.value : this.merger(key, aggregate, session.value);
    }
    if (end < closeTime) {
      dropLate(this.context as ProcessorContext<unknown, unknown>, this.outputs, record);
      return;
    }
    // Before the store's clock moves to t: the sessions t closes are still readable (retention = gap + grace + 1).
    if (this.onClose) this.emitClosed(t, record);
    for (const session of merged) {
      // The session that keeps its bounds is overwritten below; the others are merged away.
      if (session.start === start && session.end === end) continue;
      this.store.remove(key, session.start, session.end);
      if (!this.onClose) this.forward(record, key, session.start, session.end, null, session.end);
    }
    aggregate = aggregate === undefined ? (record.value as unknown as A) : this.aggregator(key, record.value, aggregate);
    this.store.put(key, start, end, aggregate);
    if (!this.onClose) this.forward(record, key, start, end, aggregate, end);
  }

  /**
   * Forwards the sessions (of every key) that close as the store's stream time moves from its current value
   * to max(current, t): those with end + gap + grace + 1 in (current, new]. The clock is the store's (its
   * latest session end, read back from the table after a restart) and moves only with the session this
   * record writes, so a session emitted in a committed transaction is never emitted again, and none is
   * skipped. Sessions that close together go out by end, then start, then key (Kafka Streams' order).
   */
  private emitClosed(t: number, record: StreamRecord<K, V>): void {
    const from = this.store.observedStreamTimeMs();
    const to = Math.max(from, t);
    if (to <= from) return;
    const c = this.gapMs + this.graceMs + 1;
    const closed = [...this.store.fetchAll(from - c + 1, to - c)];
    closed.sort((x, y) => x.end - y.end || x.start - y.start);
    for (const s of closed) this.forward(record, s.key, s.start, s.end, s.value, s.end);
  }

  private forward(record: StreamRecord<K, V>, key: K, start: number, end: number, value: A | null, timestamp: number): void {
    this.context.forward({ key: { key, window: { start, end } }, value, timestamp, headers: record.headers }, this.outputs.resultChild);
  }
}
