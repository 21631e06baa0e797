// The global stores of an instance (GlobalKTables): one SQLite file `<stateDir>/<applicationId>/global.sqlite`
// holding every global store, whose checkpoint rows are the global topics' offsets (each topic is its store's
// changelog). Tasks read these stores; only the global topics write them.
import { rmSync } from "node:fs";
import { join } from "node:path";
import type { BatchMessage } from "../kafka/index.ts";
import { StateFile } from "../state/state-file.ts";
import { changelogPartitionKey, type KeyValueStore, type RestoreRecord } from "../state/types.ts";
import type { StoreDefinition } from "../topology/graph.ts";

export function globalStatePath(stateDir: string, applicationId: string): string {
  return join(stateDir, applicationId, "global.sqlite");
}

export class GlobalStores {
  readonly path: string;
  private readonly state: StateFile;
  /** Read-only views of the stores, by name, for the tasks. */
  readonly stores: ReadonlyMap<string, KeyValueStore<unknown, unknown>>;
  /** Global topic → its store. */
  private readonly storeOfTopic = new Map<string, string>();
  /** `topic:partition` → the next offset the store needs. */
  private readonly positions: Map<string, bigint>;

  private constructor(path: string, state: StateFile, definitions: readonly StoreDefinition[]) {
    this.path = path;
    this.state = state;
    const stores = new Map<string, KeyValueStore<unknown, unknown>>();
    for (const def of definitions) {
      const topic = def.global!.topic;
      // The store is never written through put(): its changelog "partition" is unused.
      const store = state.keyValueStore({ name: def.name, keySerde: def.keySerde, valueSerde: def.valueSerde, changelogTopic: topic, changelogPartition: 0 });
      stores.set(def.name, readOnly(store));
      this.storeOfTopic.set(topic, def.name);
    }
    this.stores = stores;
    this.positions = new Map([...state.checkpoint()].map(([key, offset]) => [key, BigInt(offset)]));
  }

  /** Opens (or creates) the file; `:memory:` for tests and the test driver. */
  static open(path: string, definitions: readonly StoreDefinition[], cacheMaxBytes: number): GlobalStores {
    const state = path === ":memory:" ? StateFile.inMemory({ cacheMaxBytes }) : StateFile.open(path, { cacheMaxBytes });
    try {
      return new GlobalStores(path, state, definitions);
    } catch (err) {
      state.close();
      throw err;
    }
  }

  /** Deletes the file (a checkpoint past the topic's end: the topic was recreated) and opens an empty one. */
  static reset(path: string, definitions: readonly StoreDefinition[], cacheMaxBytes: number): GlobalStores {
    for (const suffix of ["", "-wal", "-shm"]) rmSync(path + suffix, { force: true });
    return GlobalStores.open(path, definitions, cacheMaxBytes);
  }

  /** The next offset the store of `topic` needs from `partition`; undefined: from the beginning. */
  position(topic: string, partition: number): string | undefined {
    return this.positions.get(changelogPartitionKey(topic, partition))?.toString();
  }

  /** A partition whose checkpoint is past its end offset, described; undefined when all fit. */
  checkpointBeyond(ends: ReadonlyMap<string, string>): string | undefined {
    for (const [key, position] of this.positions) {
      const end = ends.get(key);
      if (end !== undefined && position > BigInt(end)) return `${key} checkpoint ${position} is past the topic's end ${end}`;
    }
    return undefined;
  }

  /**
   * Applies a fetched batch of a global topic's partition and its checkpoint in one SQLite transaction.
   * Records below the store's position (fetched before a seek took effect) are skipped. Returns how many applied.
   */
  apply(topic: string, partition: number, messages: readonly BatchMessage[]): number {
    const store = this.storeOfTopic.get(topic);
    if (store === undefined) throw new Error(`no global store reads topic ${topic}`);
    const key = changelogPartitionKey(topic, partition);
    const position = this.positions.get(key) ?? 0n;
    const records: RestoreRecord[] = [];
    let last = -1n;
    for (const m of messages) {
      const offset = BigInt(m.offset);
      if (offset < position) continue;
      last = offset;
      // A record without a key is no row of a table: skipped, as Kafka Streams' global store update does.
      if (m.key !== null) records.push({ key: m.key, value: m.value, offset: m.offset });
    }
    if (last < 0n) return 0;
    this.state.restore(store, records, new Map([[key, (last + 1n).toString()]]));
    this.positions.set(key, last + 1n);
    return records.length;
  }

  /** Fetching moved past `lastOffset` (transaction markers included). */
  movedPast(topic: string, partition: number, lastOffset: string): void {
    const key = changelogPartitionKey(topic, partition);
    const next = BigInt(lastOffset) + 1n;
    if (next > (this.positions.get(key) ?? 0n)) this.positions.set(key, next);
  }

  /** True once every partition in `ends` (`topic:partition` → end offset) has been read up to its end. */
  caughtUp(ends: ReadonlyMap<string, string>): boolean {
    for (const [key, end] of ends) if ((this.positions.get(key) ?? 0n) < BigInt(end)) return false;
    return true;
  }

  close(): void {
    this.state.close();
  }
}

function readOnly<K, V>(store: KeyValueStore<K, V>): KeyValueStore<K, V> {
  const refuse = (): never => {
    throw new Error(`global store ${store.name} is read-only: only its topic writes it`);
  };
  return {
    name: store.name,
    get: (key) => store.get(key),
    put: refuse,
    putIfAbsent: refuse,
    delete: refuse,
    range: (from, to) => store.range(from, to),
    prefixScan: (prefix, serde) => store.prefixScan(prefix, serde),
    all: () => store.all(),
    approximateNumEntries: () => store.approximateNumEntries(),
  };
}
