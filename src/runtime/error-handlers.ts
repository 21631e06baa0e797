// The error handlers: what a task does with an input record that cannot be deserialized or processed, or
// whose output cannot be produced. The handler of each kind comes from the application's config, overridden
// per source (`Consumed`) or per sink (`Produced`). A dead-lettered record is the input's original bytes
// with headers saying what went wrong and where it came from.
import type { BatchMessage, ProducedRecord } from "../kafka/index.ts";
import type { ErrorHandler, SubTopology } from "../topology/graph.ts";
import { WeirError } from "./errors.ts";
import type { Logger } from "./logger.ts";

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

export type HandledAction = "skipped" | "dead_lettered";

/** One task's handling of failed records: the handler that applies, the log line, the dead-letter record, the counts. */
export class TaskErrorHandling {
  private readonly handlers: ErrorHandlers;
  private readonly deadLetterTopic: string;
  private readonly task: string;
  private readonly partition: number;
  private readonly logger: Logger;
  /** Records skipped or dead-lettered since the last commit, by `kind:action`. */
  private readonly counts = new Map<string, number>();

  constructor(subTopology: SubTopology, settings: HandlerDefaults & { readonly deadLetterTopic: string }, task: string, partition: number, logger: Logger) {
    this.handlers = new ErrorHandlers(subTopology, settings);
    this.deadLetterTopic = settings.deadLetterTopic;
    this.task = task;
    this.partition = partition;
    this.logger = logger;
  }

  handlerFor(topic: string, error: RecordError): ErrorHandler {
    return this.handlers.handlerFor(topic, error);
  }

  /** Logs and counts a record skipped or dead-lettered; returns the dead-letter record to write, if any. */
  apply(handler: "logAndContinue" | "deadLetter", topic: string, message: BatchMessage, error: RecordError): ProducedRecord | undefined {
    const where = { task: this.task, kind: error.kind, node: error.node, topic, partition: this.partition, offset: message.offset, error: error.message };
    if (handler === "logAndContinue") {
      this.count(error.kind, "skipped");
      this.logger.warn(where, "record skipped (logAndContinue)");
      return undefined;
    }
    this.count(error.kind, "dead_lettered");
    this.logger.warn({ ...where, deadLetterTopic: this.deadLetterTopic }, "record sent to the dead-letter topic");
    return deadLetterRecord(this.deadLetterTopic, topic, this.partition, message, error);
  }

  /** The counts since the last call (call it once the commit succeeded). */
  takeCounts(): { kind: ErrorKind; action: HandledAction; count: number }[] {
    const out = [...this.counts].map(([key, count]) => {
      const [kind, action] = key.split(":") as [ErrorKind, HandledAction];
      return { kind, action, count };
    });
    this.counts.clear();
    return out;
  }

  /** The uncommitted work was dropped: so are its counts. */
  clearCounts(): void {
    this.counts.clear();
  }

  private count(kind: ErrorKind, action: HandledAction): void {
    const key = `${kind}:${action}`;
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
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
