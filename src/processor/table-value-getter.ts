// How a processor reads another KTable's current row (Kafka Streams' KTableValueGetter): from the table's
// store, or — for a table derived by mapValues, filter or an unmaterialized join — computed from the stores
// of the tables it derives from, so that a join on a derived table needs no store of its own.
import type { KeyValueStore, ValueAndTimestamp } from "../state/types.ts";
import type { VersionedKeyValueStore } from "../state/versioned-store.ts";
import type { TableJoinKind } from "./join-table-table.ts";
import type { ProcessorContext } from "./processor.ts";

/** A row's timestamp when the store keeps none (a global table): Kafka Streams' UNKNOWN. */
export const UNKNOWN_TIMESTAMP = -1;

export interface TableValueGetter<K, V> {
  /** The key's current row and its timestamp; undefined when the table has no row for it. */
  get(key: K): ValueAndTimestamp<V> | undefined;
  /** A versioned table's row as of `asOfTimestamp` (KIP-914); absent on other tables. */
  getAsOf?(key: K, asOfTimestamp: number): ValueAndTimestamp<V> | undefined;
}

/** Describes a getter at build time; each task makes its own from its processor context. */
export interface TableValueGetterSupplier<K, V> {
  /** The stores the getter reads: the processor using it declares them. */
  readonly stores: readonly string[];
  /** Set when the getter reads a versioned store directly: its history retention (a stream–table join's grace must fit in it). */
  readonly versioned?: { readonly historyRetentionMs: number };
  get(context: ProcessorContext<unknown, unknown>): TableValueGetter<K, V>;
}

/** Reads the store `store`; `timestamped` says whether it keeps its rows' timestamps. */
export function storeGetter<K, V>(store: string, timestamped: boolean): TableValueGetterSupplier<K, V> {
  return {
    stores: [store],
    get(context) {
      if (timestamped) {
        const rows = context.getStateStore<KeyValueStore<K, ValueAndTimestamp<V>>>(store);
        return { get: (key) => rows.get(key) };
      }
      const rows = context.getStateStore<KeyValueStore<K, V>>(store);
      return {
        get: (key) => {
          const value = rows.get(key);
          return value === undefined ? undefined : { value, timestamp: UNKNOWN_TIMESTAMP };
        },
      };
    },
  };
}

/** Reads the versioned store `store`: the newest version, or the version valid as of a time. */
export function versionedStoreGetter<K, V>(store: string, historyRetentionMs: number): TableValueGetterSupplier<K, V> {
  return {
    stores: [store],
    versioned: { historyRetentionMs },
    get(context) {
      const rows = context.getStateStore<VersionedKeyValueStore<K, V>>(store);
      return {
        get: (key) => rows.get(key),
        getAsOf: (key, asOf) => rows.get(key, asOf),
      };
    },
  };
}

/** A mapValues table's row: the parent's row mapped, with the parent's timestamp (KTableMapValues' getter). */
export function mapValuesGetter<K, V, VOut>(parent: TableValueGetterSupplier<K, V>, mapper: (value: V, key: K) => VOut): TableValueGetterSupplier<K, VOut> {
  return {
    stores: parent.stores,
    get(context) {
      const rows = parent.get(context);
      return {
        get: (key) => {
          const row = rows.get(key);
          if (row === undefined) return undefined;
          const value = mapper(row.value, key);
          return value === null || value === undefined ? undefined : { value, timestamp: row.timestamp };
        },
      };
    },
  };
}

/** A filter table's row: the parent's row when it matches (KTableFilter's getter). */
export function filterGetter<K, V>(parent: TableValueGetterSupplier<K, V>, predicate: (key: K, value: V) => boolean, keepWhen: boolean): TableValueGetterSupplier<K, V> {
  return {
    stores: parent.stores,
    get(context) {
      const rows = parent.get(context);
      return {
        get: (key) => {
          const row = rows.get(key);
          return row !== undefined && predicate(key, row.value) === keepWhen ? row : undefined;
        },
      };
    },
  };
}

/**
 * An unmaterialized table–table join's row, computed from both sides' rows (Kafka Streams'
 * KTableKTableAbstractJoinValueGetterSupplier): stamped with the later of the two.
 */
export function joinGetter<K, VL, VR, VOut>(
  left: TableValueGetterSupplier<K, VL>,
  right: TableValueGetterSupplier<K, VR>,
  kind: TableJoinKind,
  joiner: (left: VL | null, right: VR | null) => VOut,
): TableValueGetterSupplier<K, VOut> {
  return {
    stores: [...new Set([...left.stores, ...right.stores])],
    get(context) {
      const l = left.get(context);
      const r = right.get(context);
      return {
        get: (key) => {
          const a = l.get(key);
          const b = r.get(key);
          const exists = kind === "inner" ? a !== undefined && b !== undefined : kind === "left" ? a !== undefined : a !== undefined || b !== undefined;
          if (!exists) return undefined;
          const value = joiner(a?.value ?? null, b?.value ?? null);
          if (value === null || value === undefined) return undefined;
          return { value, timestamp: Math.max(a?.timestamp ?? UNKNOWN_TIMESTAMP, b?.timestamp ?? UNKNOWN_TIMESTAMP) };
        },
      };
    },
  };
}
