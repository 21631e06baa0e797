// The error handlers: what a task does with an input record that cannot be deserialized or processed, or
// whose output cannot be produced. The handler of each kind comes from the application's config, overridden
// per source (`Consumed`) or per sink (`Produced`). A dead-lettered record is the input's original bytes
// with headers saying what went wrong and where it came from.
import type { BatchMessage, ProducedRecord } from "../kafka/index.ts";
import type { ErrorHandler, SubTopology } from "../topology/graph.ts";
import { WeirError } from "./errors.ts";

export type ErrorKind = "deserialization" | "processing" | "production";

/** A record failed at `node`; the task's handler for `kind` decides what follows. */
export class RecordError extends WeirError {
  readonly kind: ErrorKind;
  readonly node: string;
  /**
   * Set by the task under the `fail` handler: true when the records before this one may be committed
   * (this record left no state write behind), so that the committed output ends exactly before it.
   */
  committableBefore = false;
  constructor(kind: ErrorKind, node: string, message: string, cause: unknown) {
    const code = kind === "deserialization" ? "WEIR_DESERIALIZATION_FAILED" : kind === "processing" ? "WEIR_PROCESSING_FAILED" : "WEIR_PRODUCTION_FAILED";
    super(code, message, { cause });
    this.kind = kind;
    this.node = node;
  }
}

export interface HandlerDefaults {
  readonly deserializationErrorHandler: ErrorHandler;
  readonly processingErrorHandler: ErrorHandler;
  readonly productionErrorHandler: ErrorHandler;
}

/** The application's handlers and where `deadLetter` writes. */
export interface ErrorHandlingSettings extends HandlerDefaults {
  readonly deadLetterTopic: string;
}

/** The handlers of one sub-topology: per input topic (its source's) and per sink node. */
export class ErrorHandlers {
  private readonly bySourceTopic = new Map<string, { deserialization: ErrorHandler; processing: ErrorHandler }>();
  private readonly bySink = new Map<string, ErrorHandler>();
  private readonly defaults: HandlerDefaults;

  constructor(subTopology: SubTopology, defaults: HandlerDefaults) {
    this.defaults = defaults;
    for (const node of subTopology.nodes) {
      if (node.kind === "source") {
        const handlers = {
          deserialization: node.deserializationErrorHandler ?? defaults.deserializationErrorHandler,
          processing: node.processingErrorHandler ?? defaults.processingErrorHandler,
        };
        for (const topic of node.topics) this.bySourceTopic.set(topic, handlers);
      } else if (node.kind === "sink") {
        this.bySink.set(node.name, node.productionErrorHandler ?? defaults.productionErrorHandler);
      }
    }
  }

  /** The handler of a record of `topic` that failed with `error`. */
  handlerFor(topic: string, error: RecordError): ErrorHandler {
    if (error.kind === "production") return this.bySink.get(error.node) ?? this.defaults.productionErrorHandler;
    const source = this.bySourceTopic.get(topic);
    if (error.kind === "deserialization") return source?.deserialization ?? this.defaults.deserializationErrorHandler;
    return source?.processing ?? this.defaults.processingErrorHandler;
  }

  /** True when some handler of the sub-topology dead-letters. */
  usesDeadLetter(): boolean {
    for (const h of this.bySourceTopic.values()) if (h.deserialization === "deadLetter" || h.processing === "deadLetter") return true;
    for (const h of this.bySink.values()) if (h === "deadLetter") return true;
    return false;
  }
}

/** True when the topology or the defaults dead-letter anywhere: the dead-letter topic is then needed. */
export function usesDeadLetter(subTopologies: readonly SubTopology[], defaults: HandlerDefaults): boolean {
  return subTopologies.some((sub) => new ErrorHandlers(sub, defaults).usesDeadLetter());
}

/** Header names of a dead-lettered record (the input's own headers are kept beside them). */
export const deadLetterHeaders = {
  kind: "weir.error.kind",
  errorClass: "weir.error.class",
  message: "weir.error.message",
  node: "weir.error.node",
  topic: "weir.source.topic",
  partition: "weir.source.partition",
  offset: "weir.source.offset",
  timestamp: "weir.source.timestamp",
} as const;

/** The input record's original key and value, to the dead-letter topic, with what failed and where it came from. */
export function deadLetterRecord(deadLetterTopic: string, topic: string, partition: number, message: BatchMessage, error: RecordError): ProducedRecord {
  const cause = error.cause instanceof Error ? error.cause : error;
  return {
    topic: deadLetterTopic,
    key: message.key,
    value: message.value,
    timestamp: Number(message.timestamp),
    headers: {
      ...message.headers,
      [deadLetterHeaders.kind]: Buffer.from(error.kind),
      [deadLetterHeaders.errorClass]: Buffer.from(cause.name),
      [deadLetterHeaders.message]: Buffer.from(error.message),
      [deadLetterHeaders.node]: Buffer.from(error.node),
      [deadLetterHeaders.topic]: Buffer.from(topic),
      [deadLetterHeaders.partition]: Buffer.from(String(partition)),
      [deadLetterHeaders.offset]: Buffer.from(message.offset),
      [deadLetterHeaders.timestamp]: Buffer.from(message.timestamp),
    },
  };
}
