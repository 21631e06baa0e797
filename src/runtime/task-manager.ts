// Keeps the tasks this instance owns, one per (sub-topology, partition), in step with the group's assignment.
import type { ProducedRecord } from "../kafka/index.ts";
import type { Topology } from "../topology/topology.ts";
import type { Logger } from "./logger.ts";
import { Task, taskId } from "./task.ts";

/** A task with the outputs it produced since its last commit and the input offsets they cover. */
export interface OwnedTask {
  readonly task: Task;
  readonly outputs: ProducedRecord[];
  /** Next offset to commit per input topic, set once a batch's outputs are acknowledged. */
  readonly commitOffsets: Map<string, string>;
}

export class TaskManager {
  private readonly tasks = new Map<string, OwnedTask>();
  private readonly topology: Topology;
  private readonly applicationId: string;
  private readonly logger: Logger;

  constructor(topology: Topology, applicationId: string, logger: Logger) {
    this.topology = topology;
    this.applicationId = applicationId;
    this.logger = logger;
  }

  /** The task that processes `partition` of `topic`, created on first use. */
  taskFor(topic: string, partition: number): OwnedTask {
    const sub = this.topology.subTopologyOf(topic);
    const id = taskId(sub.id, partition);
    let owned = this.tasks.get(id);
    if (!owned) {
      const outputs: ProducedRecord[] = [];
      const task = new Task(sub, partition, this.applicationId, { collect: (r) => outputs.push(r) });
      owned = { task, outputs, commitOffsets: new Map() };
      this.tasks.set(id, owned);
      this.logger.info({ task: id }, "task created");
    }
    return owned;
  }

  /** Closes the tasks whose partitions the group no longer gives this instance. */
  retain(assignment: ReadonlyMap<string, readonly number[]>): void {
    const keep = new Set<string>();
    for (const [topic, partitions] of assignment) {
      const sub = this.topology.subTopologies.find((s) => s.sourceTopics.includes(topic));
      if (!sub) continue;
      for (const p of partitions) keep.add(taskId(sub.id, p));
    }
    for (const [id, owned] of this.tasks) {
      if (keep.has(id)) continue;
      owned.task.close();
      this.tasks.delete(id);
      this.logger.info({ task: id }, "task closed: partition revoked");
    }
  }

  all(): IterableIterator<OwnedTask> {
    return this.tasks.values();
  }

  closeAll(): void {
    for (const owned of this.tasks.values()) owned.task.close();
    this.tasks.clear();
  }
}
