// How each kind of store answers a query from one task's committed state. A new kind of store (window,
// session) is one more entry in `storeKinds`: the queries it takes, the key that routes a single-key query
// to its partition, and how it reads rows from the task's CommittedView.
import type { StoreQuery } from "../server/queries.ts";
import type { CommittedView, KeyValueRow } from "../state/committed-reads.ts";
import { VERSION_VALUE, type VersionRow } from "../state/versioned-table.ts";
import type { StoreDefinition } from "../topology/graph.ts";
import { prefixBytes, QueryKeyError, serializeKey, toJson } from "./query-keys.ts";
import { writeInt64 } from "../serdes/int64.ts";

/** One entry of an answer, with the bytes that order it among the entries of other tasks. */
export interface QueryRow {
  readonly sortKey: Buffer;
  readonly entry: Readonly<Record<string, unknown>>;
}

export interface QueryRows {
  readonly rows: QueryRow[];
  /** More rows matched than the query's limit. */
  readonly truncated: boolean;
}

export interface StoreKind {
  /** As users call it in messages: "key-value store". */
  readonly title: string;
  readonly queries: readonly StoreQuery["kind"][];
  /** The serialized key of a query answered by one partition's task; undefined for a scan of every partition. */
  routingKey(store: StoreDefinition, query: StoreQuery, topic: string): Buffer | undefined;
  /** The rows of `query` in one task's committed state, at most the query's limit. Throws QueryKeyError for a bad key. */
  read(view: CommittedView, store: StoreDefinition, query: StoreQuery, topic: string): QueryRows;
}

const keyValue: StoreKind = {
  title: "key-value store",
  queries: ["key", "range", "prefix", "all"],
  routingKey: (store, query, topic) => (query.kind === "key" ? serializeKey(store.keySerde, query.key, topic) : undefined),
  read(view, store, query, topic) {
    const kv = view.keyValue(store.name);
    const render = (rows: KeyValueRow[], limit: number): QueryRows => ({
      rows: rows.slice(0, limit).map(([k, v]) => ({
        sortKey: k,
        // A timestamped store's value starts with its row's timestamp (open-store.ts): the answer is the value.
        entry: { key: toJson(store.keySerde.deserialize(k, topic)), value: toJson(store.valueSerde.deserialize(store.timestamped ? v.subarray(TIME_BYTES) : v, topic)) },
      })),
      truncated: rows.length > limit,
    });
    switch (query.kind) {
      case "key": {
        if (query.asOf !== undefined) throw new QueryKeyError(`asOf reads a versioned store; ${store.name} keeps one value per key`);
        const k = serializeKey(store.keySerde, query.key, topic);
        const v = kv.get(k);
        return render(v === undefined ? [] : [[k, v]], 1);
      }
      case "range": {
        const from = query.from === undefined ? undefined : serializeKey(store.keySerde, query.from, topic);
        const to = query.to === undefined ? undefined : serializeKey(store.keySerde, query.to, topic);
        return render(kv.range(from, to, query.limit + 1), query.limit);
      }
      case "prefix":
        return render(kv.prefix(prefixBytes(store.keySerde, query.prefix), query.limit + 1), query.limit);
      case "all":
        return render(kv.range(undefined, undefined, query.limit + 1), query.limit);
      default:
        return { rows: [], truncated: false };
    }
  },
};

const TIME_BYTES = 8;

/** A time bound of a `windows` query: epoch milliseconds, or absent (unbounded). */
function timeBound(raw: string | undefined, fallback: number, name: string): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (raw.trim() === "" || !Number.isSafeInteger(n)) throw new QueryKeyError(`${name} must be epoch milliseconds (an integer), got ${JSON.stringify(raw)}`);
  return n;
}

/**
 * Window and session stores answer `windows` queries for one key: each row `{ key, window: { start, end },
 * value }` in window order. Window stores hold the largest record timestamp before the value's bytes.
 */
function windowedKind(title: string): StoreKind {
  return {
    title,
    queries: ["windows"],
    routingKey: (store, query, topic) => (query.kind === "windows" ? serializeKey(store.keySerde, query.key, topic) : undefined),
    read(view, store, query, topic) {
      if (query.kind !== "windows") return { rows: [], truncated: false };
      const k = serializeKey(store.keySerde, query.key, topic);
      const from = timeBound(query.from, Number.MIN_SAFE_INTEGER, "from");
      const to = timeBound(query.to, Number.MAX_SAFE_INTEGER, "to");
      const reads = view.windowed(store.name);
      const rows = reads.fetch(k, from, to, query.limit + 1);
      return {
        rows: rows.slice(0, query.limit).map((r) => {
          const end = reads.layout === "window" ? r.start + (store.windowSizeMs ?? 0) : r.end;
          const value = reads.layout === "window" ? r.value.subarray(TIME_BYTES) : r.value;
          const sortKey = Buffer.allocUnsafe(k.length + 2 * TIME_BYTES);
          k.copy(sortKey);
          writeInt64(sortKey, r.start, k.length);
          writeInt64(sortKey, end, k.length + TIME_BYTES);
          return {
            sortKey,
            entry: { key: toJson(store.keySerde.deserialize(k, topic)), window: { start: r.start, end }, value: toJson(store.valueSerde.deserialize(value, topic)) },
          };
        }),
        truncated: rows.length > query.limit,
      };
    },
  };
}

/**
 * A versioned store answers key queries: the newest version, or with `asOf` the version valid then, as
 * `{ key, value, timestamp, validTo? }`. A tombstone finds nothing; a time before stream time − history
 * retention finds only the key's newest version (VersionedKeyValueStore.get).
 */
const versioned: StoreKind = {
  title: "versioned store",
  queries: ["key"],
  routingKey: (store, query, topic) => (query.kind === "key" ? serializeKey(store.keySerde, query.key, topic) : undefined),
  read(view, store, query, topic) {
    if (query.kind !== "key") return { rows: [], truncated: false };
    const k = serializeKey(store.keySerde, query.key, topic);
    const reads = view.versioned(store.name);
    let row: VersionRow | undefined;
    let validTo: number | undefined;
    if (query.asOf === undefined) {
      row = reads.latest(k);
    } else {
      const asOf = timeBound(query.asOf, 0, "asOf");
      if (asOf < reads.streamTime() - (store.historyRetentionMs ?? 0)) {
        // Past the retention only the key's newest version answers (VersionedKeyValueStore.get).
        row = reads.latest(k);
        if (row !== undefined && row.validFrom > asOf) row = undefined;
      } else {
        row = reads.floor(k, asOf);
        if (row !== undefined) validTo = reads.nextAfter(k, row.validFrom);
      }
    }
    if (row === undefined || row.value[0] !== VERSION_VALUE) return { rows: [], truncated: false };
    const value = toJson(store.valueSerde.deserialize(row.value.subarray(1), topic));
    const entry = { key: toJson(store.keySerde.deserialize(k, topic)), value, timestamp: row.validFrom, ...(validTo === undefined ? {} : { validTo }) };
    return { rows: [{ sortKey: k, entry }], truncated: false };
  },
};

/** Store kinds by the `kind` of their definition. */
export const storeKinds: Readonly<Record<string, StoreKind>> = {
  keyValue,
  versioned,
  window: windowedKind("window store"),
  session: windowedKind("session store"),
};

export function kindOf(store: StoreDefinition): string {
  return store.kind;
}
