// The Processor API: a processor receives records one at a time and forwards results to its children.
import type { RecordMetadata, StreamRecord } from "./record.ts";

export interface ProcessorContext<KOut, VOut> {
  /** `<subTopologyId>_<partition>`, e.g. `0_3`. */
  readonly taskId: string;
  readonly applicationId: string;
  /** The input record currently being processed, or undefined outside `process`. */
  recordMetadata(): RecordMetadata | undefined;
  /** Sends a record to every child of this processor, or only to the child named `childName`, synchronously. */
  forward(record: StreamRecord<KOut, VOut>, childName?: string): void;
  /** A store this processor declared; throws when it did not declare it. */
  getStateStore<S>(name: string): S;
  /** Drops the current record on purpose; the task counts it (and logs the first one) with the reason. */
  dropRecord(reason: string): void;
}

export interface Processor<KIn, VIn, KOut = KIn, VOut = VIn> {
  init?(context: ProcessorContext<KOut, VOut>): void;
  process(record: StreamRecord<KIn, VIn>): void;
  close?(): void;
}

/** Makes a fresh processor per task: processors hold per-task state and must not be shared. */
export type ProcessorSupplier<KIn, VIn, KOut, VOut> = () => Processor<KIn, VIn, KOut, VOut>;
