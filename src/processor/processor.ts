// The Processor API: a processor receives records one at a time and forwards results to its children.
import type { Serde } from "../serdes/serde.ts";
import type { KeyValueStore } from "../state/types.ts";
import type { Cancellable, PunctuationType, Punctuator } from "./punctuators.ts";
import type { RecordMetadata, StreamRecord } from "./record.ts";
import type { Timer, TimerService } from "./timers.ts";

/** A key-value store declared with `builder.addStateStore`; `getStateStore(ref)` gives it typed. */
export interface KeyValueStoreRef<K, V> {
  readonly name: string;
  readonly keySerde: Serde<K>;
  readonly valueSerde: Serde<V>;
}

/** `KIn` is the processor's input key type, which its timers are keyed by. */
export interface ProcessorContext<KOut, VOut, KIn = unknown> {
  /** `<subTopologyId>_<partition>`, e.g. `0_3`. */
  readonly taskId: string;
  readonly applicationId: string;
  /** Where the input record being processed came from; undefined in a timer or a punctuator. */
  recordMetadata(): RecordMetadata | undefined;
  /**
   * Sends a record to every child of this processor, synchronously; with `childName`, to that child
   * only (as Kafka Streams' `forward(record, childName)`), e.g. a late-records sink beside the results.
   */
  forward(record: StreamRecord<KOut, VOut>, childName?: string): void;
  /**
   * The task's stream time: the largest record timestamp the task has processed (the current record
   * included), -1 before the first. After a restart it starts from what the task's window and session
   * stores hold, so a window closed before the restart stays closed.
   */
  currentStreamTimeMs(): number;
  /** A store this processor declared; throws when it did not declare it. */
  getStateStore<K, V>(store: KeyValueStoreRef<K, V>): KeyValueStore<K, V>;
  getStateStore<S>(name: string): S;
  /** Drops the current record on purpose; the task counts it (and logs the first one) with the reason. */
  dropRecord(reason: string): void;
  /** Drops the current record as later than its window's close (end + grace); counted per store as a late record. */
  dropLateRecord(store: string): void;
  /** The wall-clock time (epoch ms), as the task sees it (the TopologyTestDriver sets it). */
  currentSystemTimeMs(): number;
  /** Per-key timers, persisted with the task's state (only for `process()` processors). */
  readonly timers: TimerService<KIn>;
  /**
   * A task-level punctuator, Kafka Streams' `schedule`: every `intervalMs` of stream time (checked after each
   * record) or of wall-clock time. Not persisted: schedule it again in `init`.
   */
  schedule(intervalMs: number, type: PunctuationType, punctuator: Punctuator): Cancellable;
}

export interface Processor<KIn, VIn, KOut = KIn, VOut = VIn> {
  init?(context: ProcessorContext<KOut, VOut, KIn>): void;
  process(record: StreamRecord<KIn, VIn>): void;
  /** A timer of this processor is due; it was deleted before this call. Forward with `context.forward`. */
  onTimer?(timer: Timer<KIn>, context: ProcessorContext<KOut, VOut, KIn>): void;
  close?(): void;
}

/** Makes a fresh processor per task: processors hold per-task state and must not be shared. */
export type ProcessorSupplier<KIn, VIn, KOut, VOut> = () => Processor<KIn, VIn, KOut, VOut>;

/**
 * Internal: a processor whose work outlives `process()` (an async call). The task stops taking records while
 * it is `saturated()` and waits for `drain()` before every commit, so only completed work is committed.
 */
export interface AsyncWork {
  saturated(): boolean;
  /** Resolves once some call in flight has settled. */
  progress(): Promise<void>;
  /** Resolves once no call is in flight and every result was forwarded. */
  drain(): Promise<void>;
}

export function isAsyncWork(processor: object): processor is AsyncWork {
  return typeof (processor as Partial<AsyncWork>).drain === "function" && typeof (processor as Partial<AsyncWork>).saturated === "function";
}

/** Internal: what the task offers processors that forward after an await. */
export interface DetachedContext {
  /** Forwards `record` as if the input described by `metadata` were being processed; errors fail the task. */
  forwardDetached(metadata: RecordMetadata | undefined, record: StreamRecord<unknown, unknown>): void;
  /** Fails the task with `error`, naming the input record `metadata` describes. */
  failDetached(metadata: RecordMetadata | undefined, error: unknown): void;
}
