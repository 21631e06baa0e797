// How each kind of store answers a query from one task's committed state. A new kind of store (window,
// session) is one more entry in `storeKinds`: the queries it takes, the key that routes a single-key query
// to its partition, and how it reads rows from the task's CommittedView.
import type { StoreQuery } from "../server/queries.ts";
import type { CommittedView, KeyValueRow } from "../state/committed-reads.ts";
import type { StoreDefinition } from "../topology/graph.ts";
import { prefixBytes, serializeKey, toJson } from "./query-keys.ts";

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
        entry: { key: toJson(store.keySerde.deserialize(k, topic)), value: toJson(store.valueSerde.deserialize(v, topic)) },
      })),
      truncated: rows.length > limit,
    });
    switch (query.kind) {
      case "key": {
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

/**
 * Store kinds by the `kind` of their definition (absent: key-value). Window stores are the next entry: a
 * `windows` query routed by its key, reading `view.windowStore(name)` (to add to CommittedView) between
 * the `from` and `to` window starts, each row `{ key, window: { start, end }, value }` ordered by key then start.
 */
export const storeKinds: Readonly<Record<string, StoreKind>> = { keyValue };

export function kindOf(store: StoreDefinition): string {
  return (store as { readonly kind?: string }).kind ?? "keyValue";
}
