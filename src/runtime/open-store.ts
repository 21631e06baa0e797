// The one place a task's stores are created from the topology's definitions, for the runtime's tasks
// and the TopologyTestDriver alike.
import type { StateFile } from "../state/state-file.ts";
import type { StoreDefinition } from "../topology/graph.ts";
import { timestampedSerde } from "../state/window-store.ts";

/** Opens the store `def` describes in the task's state file, writing its changes to `changelogTopic` at `partition`. */
export function openStore(state: StateFile, def: StoreDefinition, changelogTopic: string, partition: number): unknown {
  const base = { name: def.name, keySerde: def.keySerde, valueSerde: def.valueSerde, changelogTopic, changelogPartition: partition };
  switch (def.kind) {
    case "keyValue":
      // A timestamped store holds ValueAndTimestamp<V>: the timestamp's 8 bytes, then the value's.
      return state.keyValueStore(def.timestamped ? { ...base, valueSerde: timestampedSerde(def.valueSerde) } : base);
    case "window":
      return state.windowStore({ ...base, windowSizeMs: def.windowSizeMs!, retentionMs: def.retentionMs ?? Number.POSITIVE_INFINITY });
    case "session":
      return state.sessionStore({ ...base, retentionMs: def.retentionMs ?? Number.POSITIVE_INFINITY });
    case "timeOrderedBuffer":
      return state.timeOrderedBuffer(base);
    case "versioned":
      return state.versionedStore({ ...base, historyRetentionMs: def.historyRetentionMs! });
  }
}

/**
 * The largest record timestamp the stores hold: the task's stream time when it opens, so that windows
 * closed before a restart stay closed. Window, session and versioned stores know it; -1 when none does.
 */
export function storedStreamTimeMs(stores: Iterable<unknown>): number {
  let time = -1;
  for (const store of stores) {
    const observed = (store as { observedStreamTimeMs?: () => number }).observedStreamTimeMs;
    if (typeof observed === "function") time = Math.max(time, observed.call(store));
  }
  return time;
}
