// The aggregation of session windows (Kafka Streams' KStreamSessionWindowAggregate): a record at t joins
// every session of its key that ends within the inactivity gap before t or starts within the gap after
// it; those sessions merge into one [earliest start, latest end] with their aggregates combined by the
// merger, the merged-away sessions are deleted (a tombstone goes downstream for each), and the result
// is stored and forwarded with the session's end as its timestamp.
import type { SessionStore } from "../state/types.ts";
import type { Aggregator, Initializer } from "./aggregate.ts";
import { dropLate, hasKeyAndValue, type WindowedOutputs } from "./late-records.ts";
import type { Processor, ProcessorContext } from "./processor.ts";
import type { StreamRecord } from "./record.ts";
import type { Windowed } from "./windowed.ts";

export type Merger<K, A> = (key: K, left: A, right: A) => A;

export class SessionAggregateProcessor<K, V, A> implements Processor<K, V, Windowed<K>, A | null> {
  private readonly gapMs: number;
  private readonly graceMs: number;
  private readonly initializer: Initializer<A> | undefined;
  private readonly aggregator: Aggregator<K, V, A>;
  private readonly merger: Merger<K, A>;
  private readonly outputs: WindowedOutputs;
  private context!: ProcessorContext<Windowed<K>, A | null>;
  private store!: SessionStore<K, A>;

  /** Without an initializer a new session's first value is its aggregate (reduce). */
  constructor(gapMs: number, graceMs: number, initializer: Initializer<A> | undefined, aggregator: Aggregator<K, V, A>, merger: Merger<K, A>, outputs: WindowedOutputs) {
    this.gapMs = gapMs;
    this.graceMs = graceMs;
    this.initializer = initializer;
    this.aggregator = aggregator;
    this.merger = merger;
    this.outputs = outputs;
  }

  init(context: ProcessorContext<Windowed<K>, A | null>): void {
    this.context = context;
    this.store = context.getStateStore<SessionStore<K, A>>(this.outputs.store);
  }

  process(record: StreamRecord<K, V>): void {
    if (!hasKeyAndValue(this.context as ProcessorContext<unknown, unknown>, record)) return;
    const key = record.key;
    const t = record.timestamp;
    const closeTime = this.context.currentStreamTimeMs() - this.graceMs;
    const merged = this.store.findSessions(key, t - this.gapMs, t + this.gapMs);
    let start = t;
    let end = t;
    let aggregate: A | undefined = this.initializer ? this.initializer() : undefined;
    for (const session of merged) {
      start = Math.min(start, session.start);
      end = Math.max(end, session.end);
      aggregate = aggregate === undefined ? session.value : this.merger(key, aggregate, session.value);
    }
    // Sessions include their end: the merged session is closed once end < stream time − grace.
    if (end < closeTime) {
      dropLate(this.context as ProcessorContext<unknown, unknown>, this.outputs, record);
      return;
    }
    for (const session of merged) {
      // The session that keeps its bounds is overwritten below; the others are merged away.
      if (session.start === start && session.end === end) continue;
      this.store.remove(key, session.start, session.end);
      this.forward(record, session.start, session.end, null, session.end);
    }
    aggregate = aggregate === undefined ? (record.value as unknown as A) : this.aggregator(key, record.value, aggregate);
    this.store.put(key, start, end, aggregate);
    this.forward(record, start, end, aggregate, end);
  }

  private forward(record: StreamRecord<K, V>, start: number, end: number, value: A | null, timestamp: number): void {
    this.context.forward({ key: { key: record.key, window: { start, end } }, value, timestamp, headers: record.headers }, this.outputs.resultChild);
  }
}
