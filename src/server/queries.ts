// The interactive-query endpoints: HTTP requests become StoreQuery values and answers go back as JSON.
// Which instance answers and how is the runtime's business (runtime/interactive-queries.ts); this file
// only parses, validates and builds the URLs (a forwarding instance calls the owner with the same paths),
// and puts Retry-After on every 503 (docs/architecture.md, "Interactive queries during failover").
import type { FastifyInstance } from "fastify";

export type StoreQuery =
  | { readonly kind: "key"; readonly store: string; readonly key: string; readonly asOf?: string }
  | { readonly kind: "range"; readonly store: string; readonly from?: string; readonly to?: string; readonly limit: number }
  | { readonly kind: "prefix"; readonly store: string; readonly prefix: string; readonly limit: number }
  | { readonly kind: "all"; readonly store: string; readonly limit: number }
  | { readonly kind: "windows"; readonly store: string; readonly key: string; readonly from?: string; readonly to?: string; readonly limit: number };

export interface QueryRequest {
  readonly query: StoreQuery;
  /**
   * Set by an instance that forwards the query: answer from these local tasks only, never forward again,
   * and reply with the raw rows for the forwarding instance to merge.
   */
  readonly tasks?: readonly string[];
  /**
   * `?stale=true`: when a task's active copy cannot answer (restoring, moving, its instance gone), a caught-up
   * standby's copy may (Kafka Streams' StoreQueryParameters.enableStaleStores()); the answer says so in headers.
   */
  readonly stale?: boolean;
}

export interface QueryAnswer {
  readonly status: number;
  readonly body: unknown;
  /** Response headers (X-Weir-Stale, X-Weir-Stale-Lag). */
  readonly headers?: Readonly<Record<string, string>>;
}

export type QueryHandler = (request: QueryRequest) => Promise<QueryAnswer>;

export const DEFAULT_QUERY_LIMIT = 100;
export const MAX_QUERY_LIMIT = 10_000;
/**
 * The Retry-After of a 503 (seconds): a task restoring or moving, or owners unknown while the group rebalances.
 * How long that lasts is not known here; a second is about a rebalance's pace, and a client may back off further.
 */
export const QUERY_RETRY_AFTER_SECONDS = 1;

interface QueryString {
  /** A versioned store's key query: the version valid at this time (epoch ms). */
  asOf?: string;
  from?: string;
  to?: string;
  limit?: string;
  tasks?: string;
  stale?: string;
}

export function registerQueryRoutes(app: FastifyInstance, handle: QueryHandler): void {
  const answer = async (reply: import("fastify").FastifyReply, query: StoreQuery | string, qs: QueryString) => {
    if (typeof query === "string") return reply.code(400).send({ code: "WEIR_QUERY_INVALID", reason: query });
    const tasks = parseTasks(qs.tasks);
    if (typeof tasks === "string") return reply.code(400).send({ code: "WEIR_QUERY_INVALID", reason: tasks });
    if (qs.stale !== undefined && qs.stale !== "true" && qs.stale !== "false") {
      return reply.code(400).send({ code: "WEIR_QUERY_INVALID", reason: `stale must be true or false, got ${JSON.stringify(qs.stale)}` });
    }
    const result = await handle({ query, ...(tasks === undefined ? {} : { tasks }), ...(qs.stale === "true" ? { stale: true } : {}) });
    if (result.headers) reply.headers(result.headers);
    if (result.status === 503) reply.header("Retry-After", String(QUERY_RETRY_AFTER_SECONDS));
    return reply.code(result.status).send(result.body);
  };
  type Route = { Params: { store: string; key?: string; prefix?: string }; Querystring: QueryString };
  app.get<Route>("/stores/:store/keys/:key", async (req, reply) =>
    answer(reply, { kind: "key", store: req.params.store, key: req.params.key!, ...(req.query.asOf !== undefined ? { asOf: req.query.asOf } : {}) }, req.query),
  );
  app.get<Route>("/stores/:store/range", async (req, reply) =>
    answer(reply, withLimit(req.query, (limit) => ({ kind: "range", store: req.params.store, ...bounds(req.query), limit })), req.query),
  );
  app.get<Route>("/stores/:store/prefix/:prefix", async (req, reply) =>
    answer(reply, withLimit(req.query, (limit) => ({ kind: "prefix", store: req.params.store, prefix: req.params.prefix!, limit })), req.query),
  );
  app.get<Route>("/stores/:store/all", async (req, reply) =>
    answer(reply, withLimit(req.query, (limit) => ({ kind: "all", store: req.params.store, limit })), req.query),
  );
  app.get<Route>("/stores/:store/windows/:key", async (req, reply) =>
    answer(reply, withLimit(req.query, (limit) => ({ kind: "windows", store: req.params.store, key: req.params.key!, ...bounds(req.query), limit })), req.query),
  );
}

/** The path and query string of `query`, for a forwarded request answered from `tasks` (from stale copies too when `stale`). */
export function queryPath(query: StoreQuery, tasks: readonly string[], stale = false): string {
  const store = encodeURIComponent(query.store);
  const params = new URLSearchParams();
  let path: string;
  switch (query.kind) {
    case "key":
      path = `/stores/${store}/keys/${encodeURIComponent(query.key)}`;
      if (query.asOf !== undefined) params.set("asOf", query.asOf);
      break;
    case "range":
      path = `/stores/${store}/range`;
      if (query.from !== undefined) params.set("from", query.from);
      if (query.to !== undefined) params.set("to", query.to);
      break;
    case "prefix":
      path = `/stores/${store}/prefix/${encodeURIComponent(query.prefix)}`;
      break;
    case "all":
      path = `/stores/${store}/all`;
      break;
    case "windows":
      path = `/stores/${store}/windows/${encodeURIComponent(query.key)}`;
      if (query.from !== undefined) params.set("from", query.from);
      if (query.to !== undefined) params.set("to", query.to);
      break;
  }
  if (query.kind !== "key") params.set("limit", String(query.limit));
  params.set("tasks", tasks.join(","));
  if (stale) params.set("stale", "true");
  return `${path}?${params.toString()}`;
}

function bounds(qs: QueryString): { from?: string; to?: string } {
  return { ...(qs.from !== undefined ? { from: qs.from } : {}), ...(qs.to !== undefined ? { to: qs.to } : {}) };
}

function withLimit(qs: QueryString, build: (limit: number) => StoreQuery): StoreQuery | string {
  if (qs.limit === undefined) return build(DEFAULT_QUERY_LIMIT);
  const limit = Number(qs.limit);
  if (!/^\d+$/.test(qs.limit) || limit < 1 || limit > MAX_QUERY_LIMIT) return `limit must be an integer from 1 to ${MAX_QUERY_LIMIT}, got ${JSON.stringify(qs.limit)}`;
  return build(limit);
}

function parseTasks(text: string | undefined): string[] | undefined | string {
  if (text === undefined) return undefined;
  const tasks = text.split(",");
  if (tasks.some((t) => !/^\d+_\d+$/.test(t))) return `tasks must be task ids separated by commas (0_1,0_2), got ${JSON.stringify(text)}`;
  return tasks;
}
