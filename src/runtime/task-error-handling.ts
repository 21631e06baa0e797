// One task's handling of failed records: it runs each input record so that a RecordError goes to its
// handler (the record's outputs dropped, then the record skipped, dead-lettered or, under `fail`, thrown),
// logs, adds the dead-letter record to the task's pending outputs and counts what it handled. StreamTask and
// the TopologyTestDriver share it, so a topology's records fail the same way in tests as in production.
import type { BatchMessage } from "../kafka/index.ts";
import type { SubTopology } from "../topology/graph.ts";
import { deadLetterRecord, ErrorHandlers, RecordError, type ErrorHandlingSettings, type ErrorKind } from "./error-handlers.ts";
import type { Logger } from "./logger.ts";
import type { PendingOutputs } from "./pending-outputs.ts";

export type HandledAction = "skipped" | "dead_lettered";

/** Without configured handlers: every error fails the task. */
export const failOnEveryError: ErrorHandlingSettings = {
  deserializationErrorHandler: "fail",
  processingErrorHandler: "fail",
  productionErrorHandler: "fail",
  deadLetterTopic: "",
};

interface CurrentRecord {
  readonly topic: string;
  readonly message: BatchMessage;
  deadLettered: boolean;
}

export interface TaskErrorHandlingOptions {
  readonly subTopology: SubTopology;
  readonly settings: ErrorHandlingSettings;
  readonly task: string;
  readonly partition: number;
  readonly logger: Logger;
  /** The task's outputs not yet committed: a failed record's are cut from it, a dead-letter record added. */
  readonly outputs: PendingOutputs;
  /** Store writes ever begun (StateFile.writeCount): unchanged around a failed record means it wrote no state. */
  readonly writeCount: () => number;
}

export class TaskErrorHandling {
  private readonly handlers: ErrorHandlers;
  private readonly deadLetterTopic: string;
  private readonly task: string;
  private readonly partition: number;
  private readonly logger: Logger;
  private readonly outputs: PendingOutputs;
  private readonly writeCount: () => number;
  /** The input record being run, for the production handler. */
  private current: CurrentRecord | undefined;
  /** Records skipped or dead-lettered since the last commit, by `kind:action`. */
  private readonly counts = new Map<string, number>();

  constructor(options: TaskErrorHandlingOptions) {
    this.handlers = new ErrorHandlers(options.subTopology, options.settings);
    this.deadLetterTopic = options.settings.deadLetterTopic;
    this.task = options.task;
    this.partition = options.partition;
    this.logger = options.logger;
    this.outputs = options.outputs;
    this.writeCount = options.writeCount;
  }

  /**
   * Runs `process` for one input record. A RecordError goes to its handler: the record's outputs are
   * dropped (state it wrote before failing cannot be taken back), then it is skipped, dead-lettered or,
   * under `fail`, thrown with `committableBefore` set. Any other error is thrown as it is.
   */
  run(topic: string, message: BatchMessage, process: () => void): void {
    const outputsBefore = this.outputs.length;
    const writesBefore = this.writeCount();
    this.current = { topic, message, deadLettered: false };
    try {
      process();
    } catch (err) {
      if (!(err instanceof RecordError)) throw err;
      this.outputs.truncate(outputsBefore);
      const handler = this.handlers.handlerFor(topic, err);
      if (handler === "fail") {
        err.committableBefore = this.writeCount() === writesBefore;
        throw err;
      }
      this.handle(handler, this.current, err);
    } finally {
      this.current = undefined;
    }
  }

  /**
   * A sink could not produce one output (Task's RecordSink.productionFailed): returning drops that output,
   * dead-lettering the input record once; throwing fails the record. Outside `run` (a punctuator, a timer on
   * the wall-clock tick, an async result) there is no record to skip: the error is thrown.
   */
  productionFailed(error: RecordError): void {
    const current = this.current;
    if (!current) throw error;
    const handler = this.handlers.handlerFor(current.topic, error);
    if (handler === "fail") throw error;
    if (handler === "deadLetter" && current.deadLettered) return;
    this.handle(handler, current, error);
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

  /** Logs and counts a record skipped or dead-lettered; a dead-letter record joins the outputs. */
  private handle(handler: "logAndContinue" | "deadLetter", current: CurrentRecord, error: RecordError): void {
    const { topic, message } = current;
    const where = { task: this.task, kind: error.kind, node: error.node, topic, partition: this.partition, offset: message.offset, error: error.message };
    if (handler === "logAndContinue") {
      this.count(error.kind, "skipped");
      this.logger.warn(where, "record skipped (logAndContinue)");
      return;
    }
    this.count(error.kind, "dead_lettered");
    this.logger.warn({ ...where, deadLetterTopic: this.deadLetterTopic }, "record sent to the dead-letter topic");
    this.outputs.addDeadLetter(deadLetterRecord(this.deadLetterTopic, topic, this.partition, message, error), `record ${topic}-${this.partition}@${message.offset}`);
    current.deadLettered = true;
  }

  private count(kind: ErrorKind, action: HandledAction): void {
    const key = `${kind}:${action}`;
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  }
}
