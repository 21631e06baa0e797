// The state layer's surface for the runtime and the test driver: one SQLite file per task and its stores.
export { StateFile, stateFilePath, type StateFileStatus } from "./state-file.ts";
export { StateError, type StateErrorCode } from "./errors.ts";
export {
  changelogPartitionKey,
  type ChangelogRecord,
  type Checkpoint,
  type KeyValueIterator,
  type KeyValueStore,
  type KeyValueStoreOptions,
  type RestoreRecord,
  type SessionStore,
  type SessionStoreEntry,
  type StateFileOptions,
  type ValueAndTimestamp,
  type WindowStore,
  type WindowStoreEntry,
} from "./types.ts";
export { NOT_PUT, VALID_TO_UNDEFINED, type VersionedKeyValueStore, type VersionedKeyValueStoreOptions, type VersionedRecord } from "./versioned-store.ts";
export type { BufferedRecord, TimeOrderedBuffer } from "./time-ordered-buffer.ts";
