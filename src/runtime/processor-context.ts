// The context each processor of a ProcessorGraph is given at init: forwarding to its children, its
// declared stores, stream and wall-clock time, its per-key timers and punctuators, and the detached
// forwards of work resumed after an await (mapValuesAsync).
import type { DetachedContext, KeyValueStoreRef, Processor, ProcessorContext } from "../processor/processor.ts";
import type { RecordMetadata, StreamRecord } from "../processor/record.ts";
import { ProcessorTimers, type Timer, type TimerService } from "../processor/timers.ts";
import { TimerStore, type TimerValue } from "../state/timer-store.ts";
import type { KeyValueStore } from "../state/types.ts";
import type { ProcessorNode } from "../topology/graph.ts";
import { Topology } from "../topology/topology.ts";
import type { TaskTime } from "./task-time.ts";

export type Forward = (record: StreamRecord<unknown, unknown>) => void;

/** What a processor's context reads from, and does through, its graph. */
export interface ProcessorContextHost {
  readonly id: string;
  readonly applicationId: string;
  /** Every store the graph's processors may read, by name (each processor sees only those it declared). */
  readonly stores: ReadonlyMap<string, unknown>;
  readonly time: TaskTime;
  readonly streamTimeMs: number;
  systemTimeMs(): number;
  currentRecord(): RecordMetadata | undefined;
  drop(reason: string): void;
  dropLate(store: string): void;
  /** Forwards as if the input `metadata` describes were being processed (work resumed after an await). */
  forwardDetached(node: string, forward: Forward, metadata: RecordMetadata | undefined, record: StreamRecord<unknown, unknown>): void;
  failDetached(node: string, metadata: RecordMetadata | undefined, error: unknown): void;
}

/** The context of `processor` (of `node`): `forward` reaches every child, `byChild` each by name. */
export function processorContext(
  host: ProcessorContextHost,
  node: ProcessorNode,
  processor: Processor<unknown, unknown, unknown, unknown>,
  forward: Forward,
  byChild: ReadonlyMap<string, Forward>,
): ProcessorContext<unknown, unknown> & DetachedContext {
  const name = node.name;
  const declared = node.stores;
  const timers = timersFor(host, node, processor);
  const context: ProcessorContext<unknown, unknown> & DetachedContext = {
    taskId: host.id,
    applicationId: host.applicationId,
    recordMetadata: () => host.currentRecord(),
    forward: (record, childName) => {
      if (childName === undefined) return forward(record);
      const child = byChild.get(childName);
      if (!child) throw new Error(`processor ${name} has no child ${childName} (it has: ${[...byChild.keys()].join(", ") || "none"})`);
      child(record);
    },
    getStateStore: ((store: string | KeyValueStoreRef<unknown, unknown>): unknown => {
      const storeName = typeof store === "string" ? store : store.name;
      const found = declared.includes(storeName) ? host.stores.get(storeName) : undefined;
      if (found === undefined) throw new Error(`processor ${name} did not declare store ${storeName} (it has: ${declared.join(", ") || "none"})`);
      return found;
    }) as ProcessorContext<unknown, unknown>["getStateStore"],
    dropRecord: (reason: string) => host.drop(reason),
    currentStreamTimeMs: () => host.streamTimeMs,
    currentSystemTimeMs: () => host.systemTimeMs(),
    get timers(): TimerService<unknown> {
      if (!timers) {
        throw new Error(`processor ${name} has no timers: only processors added with process() that define onTimer have them`);
      }
      return timers;
    },
    schedule: (intervalMs, type, punctuator) => host.time.schedule(name, intervalMs, type, punctuator, host.systemTimeMs()),
    forwardDetached: (metadata, record) => host.forwardDetached(name, forward, metadata, record),
    failDetached: (metadata, error) => host.failDetached(name, metadata, error),
    dropLateRecord: (store: string) => host.dropLate(store),
  };
  if (timers) host.time.addTimers(name, timers, (timer: Timer<unknown>) => processor.onTimer!(timer, context));
  return context;
}

/** The per-key timers of a process() node, on its timer store. */
function timersFor(host: ProcessorContextHost, node: ProcessorNode, processor: Processor<unknown, unknown, unknown, unknown>): ProcessorTimers<unknown> | undefined {
  if (!node.timers || typeof processor.onTimer !== "function") return undefined;
  const store = host.stores.get(node.timers.store) as KeyValueStore<Buffer, TimerValue> | undefined;
  if (!store) throw new Error(`task ${host.id} has no timer store ${node.timers.store} for processor ${node.name}`);
  const topic = Topology.changelogTopic(host.applicationId, node.timers.store);
  return new ProcessorTimers(new TimerStore(store), node.timers.keySerde, topic, node.name);
}
