// Step 3 of DESIGN.md for one task: runs a partition's records through the processor graph, each under
// its error handler (task-error-handling.ts), and moves the task's input positions (input-offsets.ts).
// State writes go to the open SQLite transaction; outputs to the task's pending outputs.
import type { BatchMessage } from "../kafka/index.ts";
import type { InputOffsets } from "./input-offsets.ts";
import type { ProcessorGraph } from "./processor-graph.ts";
import type { TaskErrorHandling } from "./task-error-handling.ts";

export class RecordProcessing {
  private readonly graph: ProcessorGraph;
  private readonly errors: TaskErrorHandling;
  private readonly inputs: InputOffsets;
  /** The batch being processed while it waits for async calls (mapValuesAsync); commits and ticks wait for it. */
  processing: Promise<unknown> | undefined;

  constructor(graph: ProcessorGraph, errors: TaskErrorHandling, inputs: InputOffsets) {
    this.graph = graph;
    this.errors = errors;
    this.inputs = inputs;
  }

  /**
   * Resolves with how many records it processed (records it had already processed are skipped). A batch of
   * a synchronous topology runs in one go; with async calls (mapValuesAsync) it waits whenever their
   * concurrency is used up. A record that fails goes to its error handler; under `fail` the RecordError is
   * thrown, with the position left at the failed record, so that a commit covers exactly the records before it.
   */
  async process(topic: string, messages: readonly BatchMessage[]): Promise<number> {
    if (!this.graph.hasAsyncWork) return this.processSync(topic, messages);
    const running = this.processAsync(topic, messages);
    this.processing = running;
    try {
      return await running;
    } finally {
      this.processing = undefined;
    }
  }

  private processSync(topic: string, messages: readonly BatchMessage[]): number {
    const start = this.inputs.firstUnprocessed(topic, messages);
    let last: string | undefined;
    try {
      for (let i = start; i < messages.length; i++) {
        const message = messages[i]!;
        this.errors.run(topic, message, () => this.graph.process(topic, message));
        last = message.offset;
      }
    } finally {
      if (last !== undefined) this.inputs.processed(topic, last);
    }
    return messages.length - start;
  }

  private async processAsync(topic: string, messages: readonly BatchMessage[]): Promise<number> {
    const start = this.inputs.firstUnprocessed(topic, messages);
    for (let i = start; i < messages.length; i++) {
      const message = messages[i]!;
      while (this.graph.saturated()) await this.graph.progress();
      this.graph.throwDetachedFailure();
      this.errors.run(topic, message, () => this.graph.process(topic, message));
      this.inputs.processed(topic, message.offset);
    }
    return messages.length - start;
  }
}
