// Opens a task's instance of a store the topology declares, in the task's state file, with its changelog
// partition. Shared by StreamTask and the TopologyTestDriver, so both run on the same stores.
import type { StateFile } from "../state/state-file.ts";
import type { StoreDefinition } from "../topology/graph.ts";

export function openStore(state: StateFile, def: StoreDefinition, changelogTopic: string, partition: number): unknown {
  return state.keyValueStore({ name: def.name, keySerde: def.keySerde, valueSerde: def.valueSerde, changelogTopic, changelogPartition: partition });
}
