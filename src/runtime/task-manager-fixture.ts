// The fixture of TaskManager's unit tests: an instance against a fake of the Kafka layer
// (src/testing/fake-kafka.ts), running a count of topic "in" into "out" with store "counts".
import type { TestContext } from "node:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { StreamsBuilder } from "../topology/streams-builder.ts";
import { serdes } from "../serdes/serde.ts";
import { WeirMetrics } from "../metrics/metrics.ts";
import { FakeAdmin, FakeCluster, FakePartitionControl, FakePartitionReader, FakeTaskOutput } from "../testing/fake-kafka.ts";
import { resolveConfig } from "./config.ts";
import { createLogger } from "./logger.ts";
import { TaskManager } from "./task-manager.ts";
import type { GroupMetadata } from "../kafka/index.ts";

export const changelog = "app-counts-changelog";

export interface Instance {
  readonly manager: TaskManager;
  readonly control: FakePartitionControl;
  readonly reader: FakePartitionReader;
  readonly outputs: FakeTaskOutput[];
  /** Each task's outputs, in the order they were opened. */
  readonly outputsOf: (task: string) => FakeTaskOutput[];
  readonly failures: Error[];
  readonly committed: ReadonlyMap<string, string>[];
}

/** `incremental`: the client keeps fetching kept partitions across a rebalance (@platformatic/kafka); else as kafkajs.
 * `groupMetadata`: an exactly-once v2 client's generation. */
export function instance(
  t: TestContext,
  cluster: FakeCluster,
  {
    incremental = false,
    groupMetadata,
    admin = new FakeAdmin(cluster),
    stateDir,
    releaseStandby,
  }: { incremental?: boolean; groupMetadata?: () => GroupMetadata | undefined; admin?: FakeAdmin; stateDir?: string; releaseStandby?: (id: string) => void } = {},
): Instance {
  const dir = stateDir ?? mkdtempSync(join(tmpdir(), "weir-task-manager-"));
  if (stateDir === undefined) t.after(() => rmSync(dir, { recursive: true, force: true }));
  const b = new StreamsBuilder();
  b.stream("in", { key: serdes.string(), value: serdes.string() })
    .groupByKey()
    .count({ store: "counts" })
    .toStream()
    .to("out", { key: serdes.string(), value: serdes.int64() });
  const outputs: FakeTaskOutput[] = [];
  const byTask = new Map<string, FakeTaskOutput[]>();
  const failures: Error[] = [];
  const committed: ReadonlyMap<string, string>[] = [];
  const reader = new FakePartitionReader(cluster);
  const manager = new TaskManager({
    topology: b.build().forApplication("app"),
    // An interval no test run reaches: only a batch at its partition's end, or commitAll, commits.
    config: resolveConfig({ applicationId: "app", bootstrapServers: "127.0.0.1:1", stateDir: dir, commitIntervalMs: 3_600_000 }),
    logger: createLogger("silent"),
    admin,
    metrics: new WeirMetrics("app", { tasksOwned: () => 0, stores: () => [] }),
    outputFor: (task) => {
      const output = new FakeTaskOutput(cluster);
      outputs.push(output);
      byTask.set(task, [...(byTask.get(task) ?? []), output]);
      return output;
    },
    changelogReader: reader,
    fail: (error) => failures.push(error),
    committed: (_task, offsets) => committed.push(offsets),
    groupMetadata,
    releaseStandby,
  });
  const control = new FakePartitionControl();
  control.keepsFetchingAcrossRebalances = incremental;
  manager.attach(control);
  t.after(() => manager.closeAll());
  return { manager, control, reader, outputs, outputsOf: (task) => byTask.get(task) ?? [], failures, committed };
}

/** Assigns partition 0 of the input and of the changelog, as the assignor hands out a task. */
export function assign(manager: TaskManager): void {
  manager.onAssignment(new Map([["in", [0]], [changelog, [0]]]));
}

export function outValues(output: FakeTaskOutput): string[] {
  return output.commits.flatMap((c) => c.records.filter((r) => r.topic === "out").map((r) => `${r.key!.toString()}=${r.value!.readBigInt64BE()}`));
}

/** Assigns these partitions of the input with their changelog partitions. */
export function assignPartitions(manager: TaskManager, partitions: number[]): void {
  manager.onAssignment(new Map([["in", partitions], [changelog, partitions]]));
}
