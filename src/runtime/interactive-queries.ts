// Interactive queries: a store query is answered from the committed state of the tasks that hold its keys,
// on this instance or on the instances that own them (found in the group's task → instance map), and
// the rows of every task are merged in key order. A query that names one key goes to its partition's
// task only (Kafka's default partitioner on the serialized key); a scan asks every task of the store.
// With `?stale=true`, a task whose active copy cannot answer (restoring, moving, its instance gone) is read
// from a caught-up standby's copy instead, here or on an instance the map names as keeping one
// (docs/architecture.md, "Interactive queries during failover").
import { partitionForKey } from "../kafka/index.ts";
import { queryPath, type QueryAnswer, type QueryRequest, type StoreQuery } from "../server/queries.ts";
import type { CommittedView } from "../state/committed-reads.ts";
import { StateError } from "../state/errors.ts";
import type { StoreDefinition, SubTopology } from "../topology/graph.ts";
import { Topology } from "../topology/topology.ts";
import type { InstanceMap } from "./instance-map.ts";
import type { StaleCopy } from "./standby-tasks.ts";
import { QueryKeyError } from "./query-keys.ts";
import { kindOf, storeKinds, type QueryRow, type QueryRows, type StoreKind } from "./store-queries.ts";
import type { TaskStatus } from "./stream-task.ts";
import { taskId } from "./task-id.ts";

/** What the queries need of the instance. */
export interface QueryHost {
  /** This instance's advertised address; null when it has none. */
  applicationServer(): string | null;
  /** The group's task → instance map; undefined while a rebalance is under way. */
  instanceMap(): InstanceMap | undefined;
  /** The task with this id, if this instance runs it. */
  task(id: string): { readonly status: TaskStatus; readCommitted<T>(read: (view: CommittedView) => T): Promise<T> } | undefined;
  /** The last map known, kept while the group rebalances: where a stale read looks for standbys meanwhile. */
  lastInstanceMap?(): InstanceMap | undefined;
  /** A copy of the task here that may answer a stale read (its caught-up standby, or its active task restoring from one). */
  staleCopy?(id: string): StaleCopy | undefined;
}

/** Asks another instance; resolves with its answer (a failure to reach it is an answer too: 502 or 504). */
export type RemoteQuery = (server: string, path: string, timeoutMs: number) => Promise<QueryAnswer>;

export interface InteractiveQueriesOptions {
  readonly topology: Topology;
  readonly applicationId: string;
  readonly host: QueryHost;
  /** The longest a query waits for a task's commit or another instance's answer. */
  readonly timeoutMs: number;
  readonly remote?: RemoteQuery;
}

interface Target {
  readonly sub: SubTopology;
  readonly store: StoreDefinition;
  readonly kind: StoreKind;
  readonly topic: string;
}

/** Rows of some tasks; `lag` when a stale copy gave some of them: the largest such copy's lag (changelog records). */
type Part = { readonly ok: true; readonly rows: QueryRows; readonly lag?: number | undefined } | { readonly ok: false; readonly answer: QueryAnswer };

/** What a stale read may try another copy after: the task is restoring or moving, or its instance is not reachable. */
const unavailable = (status: number) => status === 502 || status === 503 || status === 504;

type Failure = { readonly ok: false; readonly answer: QueryAnswer };

const fail = (status: number, code: string, reason: string): Failure => ({ ok: false, answer: { status, body: { code, reason } } });

export class InteractiveQueries {
  private readonly options: InteractiveQueriesOptions;
  private readonly remote: RemoteQuery;

  constructor(options: InteractiveQueriesOptions) {
    this.options = options;
    this.remote = options.remote ?? httpQuery;
  }

  async query(request: QueryRequest): Promise<QueryAnswer> {
    const { query } = request;
    const stale = request.stale === true;
    const target = this.target(query);
    if (!target.ok) return target.answer;
    if (request.tasks) {
      // Forwarded by another instance: our tasks' rows, raw, for it to merge.
      const part = await this.local(target.value, query, request.tasks, stale);
      if (!part.ok) return part.answer;
      const rows = part.rows.rows.map((r) => ({ sortKey: r.sortKey.toString("base64"), entry: r.entry }));
      return { status: 200, body: { rows, truncated: part.rows.truncated, ...(part.lag === undefined ? {} : { lag: part.lag }) } };
    }
    const { host } = this.options;
    const map = host.instanceMap() ?? (stale ? host.lastInstanceMap?.() : undefined);
    const plan = this.plan(target.value, query, map, stale);
    if (!plan.ok) return plan.answer;
    const self = host.applicationServer();
    const parts = await Promise.all(
      [...plan.byOwner].map(async ([owner, tasks]) => {
        const part = owner === undefined ? plan.ownerless : owner === self ? await this.local(target.value, query, tasks, stale) : await this.forward(owner, query, tasks, stale);
        if (part.ok || !stale || !unavailable(part.answer.status)) return part;
        return this.fromStaleCopies(target.value, query, tasks, map, owner, part);
      }),
    );
    const failed = parts.find((p) => !p.ok);
    if (failed && !failed.ok) return failed.answer;
    const lags = parts.flatMap((p) => (p.ok && p.lag !== undefined ? [p.lag] : []));
    // Whether a stale copy answered, and the largest lag of those that did.
    const headers: Record<string, string> | undefined = !stale ? undefined : lags.length === 0 ? { "X-Weir-Stale": "false" } : { "X-Weir-Stale": "true", "X-Weir-Stale-Lag": String(Math.max(...lags)) };
    const limit = query.kind === "key" ? 1 : query.limit;
    const rows = parts.flatMap((p) => (p.ok ? p.rows.rows : [])).sort((a, b) => Buffer.compare(a.sortKey, b.sortKey));
    const truncated = rows.length > limit || parts.some((p) => p.ok && p.rows.truncated);
    if (query.kind === "key") {
      const row = rows[0];
      if (!row) return { status: 404, body: { code: "WEIR_KEY_NOT_FOUND", store: query.store, key: query.key, reason: `store ${query.store} has no value for key ${JSON.stringify(query.key)}` }, ...(headers ? { headers } : {}) };
      return { status: 200, body: { store: query.store, ...row.entry }, ...(headers ? { headers } : {}) };
    }
    return { status: 200, body: { store: query.store, entries: rows.slice(0, limit).map((r) => r.entry), truncated }, ...(headers ? { headers } : {}) };
  }

  /**
   * A stale read of `tasks`, whose owner (if any) could not answer with `failure`: each task from this instance's
   * copy, else from each instance the map names as keeping a standby of it, in turn; `failure` if none answers.
   */
  private async fromStaleCopies(target: Target, query: StoreQuery, tasks: readonly string[], map: InstanceMap | undefined, tried: string | undefined, failure: Part): Promise<Part> {
    const self = this.options.host.applicationServer();
    const rows: QueryRow[] = [];
    let truncated = false;
    let lag: number | undefined;
    for (const task of tasks) {
      let part: Part | undefined;
      // Asked already when this instance is the owner: its local read looked at its copies too.
      if (tried !== self) part = await this.local(target, query, [task], true);
      for (const server of map?.standbyServersOf(task) ?? []) {
        if (part?.ok) break;
        if (server !== self && server !== tried) part = await this.forward(server, query, [task], true);
      }
      if (!part?.ok) return failure;
      rows.push(...part.rows.rows);
      truncated ||= part.rows.truncated;
      if (part.lag !== undefined) lag = Math.max(lag ?? 0, part.lag);
    }
    return { ok: true, rows: { rows, truncated }, lag };
  }

  private target(query: StoreQuery): { ok: true; value: Target } | { ok: false; answer: QueryAnswer } {
    const { topology, applicationId } = this.options;
    for (const sub of topology.subTopologies) {
      const store = sub.stores.find((s) => s.name === query.store);
      if (!store) continue;
      const kind = storeKinds[kindOf(store)];
      if (!kind) return fail(501, "WEIR_QUERY_UNSUPPORTED", `store ${store.name} is a ${kindOf(store)} store, which interactive queries do not read yet`);
      if (!kind.queries.includes(query.kind)) {
        return fail(400, "WEIR_QUERY_INVALID", `store ${store.name} is a ${kind.title}: it answers ${kind.queries.join(", ")} queries, not ${query.kind}`);
      }
      return { ok: true, value: { sub, store, kind, topic: Topology.changelogTopic(applicationId, store.name) } };
    }
    const names = topology.subTopologies.flatMap((s) => s.stores.map((d) => d.name)).sort();
    return fail(404, "WEIR_STORE_UNKNOWN", `no store named ${query.store}; the topology's stores: ${names.join(", ") || "none"}`);
  }

  /**
   * Which instance answers for which tasks. A stale read does not stop at a task without a reachable owner: it
   * goes under `undefined`, with the answer it would have had (`ownerless`), for its stale copies to answer.
   */
  private plan(
    target: Target,
    query: StoreQuery,
    map: InstanceMap | undefined,
    stale: boolean,
  ): { ok: true; byOwner: Map<string | undefined, string[]>; ownerless: Part } | { ok: false; answer: QueryAnswer } {
    const count = map?.partitionCount(target.sub.id);
    const hint = stale ? "" : "; add ?stale=true to read a standby's copy meanwhile";
    if (!map || count === undefined) return fail(503, "WEIR_QUERY_REBALANCING", `the group is rebalancing: which instance owns which task is not known yet${hint}`);
    let routing: Buffer | undefined;
    try {
      routing = target.kind.routingKey(target.store, query, target.topic);
    } catch (err) {
      if (err instanceof QueryKeyError) return fail(400, "WEIR_QUERY_INVALID", err.message);
      throw err;
    }
    const tasks = routing ? [taskId(target.sub.id, partitionForKey(routing, count))] : Array.from({ length: count }, (_, p) => taskId(target.sub.id, p));
    const byOwner = new Map<string | undefined, string[]>();
    let ownerless: Part = fail(503, "WEIR_QUERY_REBALANCING", "no copy of the task could answer");
    for (const task of tasks) {
      const owner = map.ownerOf(task);
      let failure: Failure | undefined;
      if (owner === undefined) failure = fail(503, "WEIR_QUERY_REBALANCING", `task ${task} is not in the group's assignment yet (rebalancing)${hint}`);
      if (owner === null) failure = fail(503, "WEIR_QUERY_OWNER_UNREACHABLE", `task ${task} runs on an instance that advertises no applicationServer${hint}`);
      if (failure && !stale) return failure;
      if (failure) ownerless = failure;
      const key = owner ?? undefined;
      let list = byOwner.get(key);
      if (!list) byOwner.set(key, (list = []));
      list.push(task);
    }
    return { ok: true, byOwner, ownerless };
  }

  /** Reads the committed state of these local tasks: their running active tasks, else (`stale`) their stale copies here. */
  private async local(target: Target, query: StoreQuery, tasks: readonly string[], stale: boolean): Promise<Part> {
    const rows: QueryRow[] = [];
    let truncated = false;
    let lag: number | undefined;
    const hint = stale ? ", and this instance keeps no caught-up standby of it" : "; add ?stale=true to read a standby's copy meanwhile";
    for (const id of tasks) {
      const task = this.options.host.task(id);
      const copy = task?.status === "running" || !stale ? undefined : this.options.host.staleCopy?.(id);
      const source = task?.status === "running" ? task : copy;
      if (!source) {
        if (!task || task.status === "closed") return fail(503, "WEIR_QUERY_REBALANCING", `task ${id} does not run on this instance (now); the group is probably rebalancing${hint}`);
        return fail(503, "WEIR_QUERY_RESTORING", `task ${id} is restoring its stores from the changelog${hint}`);
      }
      if (copy) lag = Math.max(lag ?? 0, copy.lag);
      let part: QueryRows;
      try {
        part = await withTimeout(
          source.readCommitted((view) => target.kind.read(view, target.store, query, target.topic)),
          this.options.timeoutMs,
          `task ${id} did not finish its commit within ${this.options.timeoutMs} ms`,
        );
      } catch (err) {
        if (err instanceof QueryKeyError) return fail(400, "WEIR_QUERY_INVALID", err.message);
        if (err instanceof StateError && err.code === "WEIR_STATE_CLOSED") return fail(503, "WEIR_QUERY_REBALANCING", `task ${id} closed while the query waited`);
        if (err instanceof QueryTimeout) return fail(503, "WEIR_QUERY_TIMEOUT", err.message);
        return fail(500, "WEIR_QUERY_FAILED", `task ${id}: ${(err as Error).message}`);
      }
      rows.push(...part.rows);
      truncated ||= part.truncated;
    }
    return { ok: true, rows: { rows, truncated }, lag };
  }

  private async forward(server: string, query: StoreQuery, tasks: readonly string[], stale: boolean): Promise<Part> {
    const answer = await this.remote(server, queryPath(query, tasks, stale), this.options.timeoutMs);
    if (answer.status !== 200) return { ok: false, answer };
    const body = answer.body as { rows?: { sortKey?: unknown; entry?: unknown }[]; truncated?: unknown; lag?: unknown };
    if (!Array.isArray(body.rows)) return fail(502, "WEIR_QUERY_FORWARD_FAILED", `instance ${server} answered without rows`);
    const rows = body.rows.map((r) => ({ sortKey: Buffer.from(String(r.sortKey), "base64"), entry: r.entry as Record<string, unknown> }));
    return { ok: true, rows: { rows, truncated: body.truncated === true }, lag: typeof body.lag === "number" ? body.lag : undefined };
  }
}

class QueryTimeout extends Error {}

function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new QueryTimeout(message)), ms)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** GET http://<server><path>, bounded by `timeoutMs`. */
export const httpQuery: RemoteQuery = async (server, path, timeoutMs) => {
  try {
    const response = await fetch(`http://${server}${path}`, { signal: AbortSignal.timeout(timeoutMs) });
    const text = await response.text();
    let body: unknown;
    try {
      body = JSON.parse(text) as unknown;
    } catch {
      body = { code: "WEIR_QUERY_FORWARD_FAILED", reason: `instance ${server} answered ${response.status} with a body that is not JSON` };
    }
    return { status: response.status, body };
  } catch (err) {
    const timedOut = (err as Error).name === "TimeoutError";
    return {
      status: timedOut ? 504 : 502,
      body: { code: "WEIR_QUERY_FORWARD_FAILED", reason: `instance ${server} ${timedOut ? `did not answer within ${timeoutMs} ms` : `could not be reached: ${(err as Error).message}`}` },
    };
  }
};
