// The topics a task's outputs go to must exist before a commit writes to them. The fixed sink and
// repartition topics are checked at start (topic-check.ts); a topic chooser may pick any name, so, as in
// Kafka Streams, each new one is checked against the cluster after the batch that chose it, and the app
// stops naming it if it does not exist (rather than letting the producer retry a missing topic until the
// commit fails).
import type { Topology } from "../topology/topology.ts";
import { createTopicsFirst, WeirError } from "./errors.ts";
import type { TaskAdminPort } from "./kafka-ports.ts";
import type { StreamTask } from "./stream-task.ts";

export class OutputTopics {
  private readonly admin: Pick<TaskAdminPort, "partitionCounts">;
  /** Output topics known to exist: the fixed sink topics (checked at start) and chosen ones found on the cluster. */
  private readonly known: Set<string>;

  constructor(topology: Topology, admin: Pick<TaskAdminPort, "partitionCounts">) {
    this.admin = admin;
    this.known = new Set([...topology.sinkTopics(), ...topology.repartitionTopics.map((r) => r.name)]);
  }

  /** The task's chooser picked a topic not known to exist yet (cheap: no request). */
  hasUnknown(task: StreamTask): boolean {
    return this.unknown(task).length > 0;
  }

  /** A WeirError naming the topics the task's choosers picked that do not exist; undefined when all do. */
  async missing(task: StreamTask): Promise<WeirError | undefined> {
    const unknown = this.unknown(task);
    if (unknown.length === 0) return undefined;
    const counts = await this.admin.partitionCounts(unknown);
    for (const topic of counts.keys()) this.known.add(topic);
    const missing = unknown.filter((t) => !counts.has(t));
    if (missing.length === 0) return undefined;
    return new WeirError(
      "WEIR_TOPIC_MISSING",
      `task ${task.id}: a topic chooser picked ${missing.map((t) => `"${t}"`).join(", ")}, which ${missing.length === 1 ? "does" : "do"} not exist; ${createTopicsFirst(missing, false)}`,
    );
  }

  private unknown(task: StreamTask): string[] {
    const chosen = task.chosenTopics();
    if (chosen.size === 0) return [];
    return [...chosen].filter((t) => !this.known.has(t));
  }
}
