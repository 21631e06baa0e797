// Interactive queries: a store query is answered from the committed state of the tasks that hold its keys,
// on this instance or on the instances that own them (found in the group's task → instance map), and
// the rows of every task are merged in key order. A query that names one key goes to its partition's
// task only (Kafka's default partitioner on the serialized key); a scan asks every task of the store.
import { partitionForKey } from "../kafka/index.ts";
import { queryPath, type QueryAnswer, type QueryRequest, type StoreQuery } from "../server/queries.ts";
import type { CommittedView } from "../state/committed-reads.ts";
import { StateError } from "../state/errors.ts";
import type { StoreDefinition, SubTopology } from "../topology/graph.ts";
import { Topology } from "../topology/topology.ts";
import type { InstanceMap } from "./instance-map.ts";
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

type Part = { readonly ok: true; readonly rows: QueryRows } | { readonly ok: false; readonly answer: QueryAnswer };

const fail = (status: number, code: string, reason: string): { ok: false; answer: QueryAnswer } => ({ ok: false, answer: { status, body: { code, reason } } });

export class InteractiveQueries {
  private readonly options: InteractiveQueriesOptions;
  private readonly remote: RemoteQuery;

  constructor(options: InteractiveQueriesOptions) {
    this.options = options;
    this.remote = options.remote ?? httpQuery;
  }

  async query(request: QueryRequest): Promise<QueryAnswer> {
    const { query } = request;
    const target = this.target(query);
    if (!target.ok) return target.answer;
    if (request.tasks) {
      // Forwarded by another instance: our tasks' rows, raw, for it to merge.
      const part = await this.local(target.value, query, request.tasks);
      if (!part.ok) return part.answer;
      return { status: 200, body: { rows: part.rows.rows.map((r) => ({ sortKey: r.sortKey.toString("base64"), entry: r.entry })), truncated: part.rows.truncated } };
    }
    const plan = this.plan(target.value, query);
    if (!plan.ok) return plan.answer;
    const self = this.options.host.applicationServer();
    const parts = await Promise.all(
      [...plan.byOwner].map(([owner, tasks]) => (owner === self ? this.local(target.value, query, tasks) : this.forward(owner, query, tasks))),
    );
    const failed = parts.find((p) => !p.ok);
    if (failed && !failed.ok) return failed.answer;
    const limit = query.kind === "key" ? 1 : query.limit;
    const rows = parts.flatMap((p) => (p.ok ? p.rows.rows : [])).sort((a, b) => Buffer.compare(a.sortKey, b.sortKey));
    const truncated = rows.length > limit || parts.some((p) => p.ok && p.rows.truncated);
    if (query.kind === "key") {
      const row = rows[0];
      if (!row) return { status: 404, body: { code: "WEIR_KEY_NOT_FOUND", store: query.store, key: query.key, reason: `store ${query.store} has no value for key ${JSON.stringify(query.key)}` } };
      return { status: 200, body: { store: query.store, ...row.entry } };
    }
    return { status: 200, body: { store: query.store, entries: rows.slice(0, limit).map((r) => r.entry), truncated } };
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

  /** Which instance answers for which tasks. */
  private plan(target: Target, query: StoreQuery): { ok: true; byOwner: Map<string, string[]> } | { ok: false; answer: QueryAnswer } {
    const map = this.options.host.instanceMap();
    const count = map?.partitionCount(target.sub.id);
    if (!map || count === undefined) return fail(503, "WEIR_QUERY_REBALANCING", "the group is rebalancing: which instance owns which task is not known yet");
    let routing: Buffer | undefined;
    try {
      routing = target.kind.routingKey(target.store, query, target.topic);
    } catch (err) {
      if (err instanceof QueryKeyError) return fail(400, "WEIR_QUERY_INVALID", err.message);
      throw err;
    }
    const tasks = routing ? [taskId(target.sub.id, partitionForKey(routing, count))] : Array.from({ length: count }, (_, p) => taskId(target.sub.id, p));
    const byOwner = new Map<string, string[]>();
    for (const task of tasks) {
      const owner = map.ownerOf(task);
      if (owner === undefined) return fail(503, "WEIR_QUERY_REBALANCING", `task ${task} is not in the group's assignment yet (rebalancing)`);
      if (owner === null) return fail(503, "WEIR_QUERY_OWNER_UNREACHABLE", `task ${task} runs on an instance that advertises no applicationServer`);
      let list = byOwner.get(owner);
      if (!list) byOwner.set(owner, (list = []));
      list.push(task);
    }
    return { ok: true, byOwner };
  }

  /** Reads the committed state of these local tasks. */
  private async local(target: Target, query: StoreQuery, tasks: readonly string[]): Promise<Part> {
    const rows: QueryRow[] = [];
    let truncated = false;
    for (const id of tasks) {
      const task = this.options.host.task(id);
      if (!task || task.status === "closed") return fail(503, "WEIR_QUERY_REBALANCING", `task ${id} does not run on this instance (now); the group is probably rebalancing`);
      if (task.status === "restoring") return fail(503, "WEIR_QUERY_RESTORING", `task ${id} is restoring its stores from the changelog`);
      let part: QueryRows;
      try {
        part = await withTimeout(
          task.readCommitted((view) => target.kind.read(view, target.store, query, target.topic)),
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
    return { ok: true, rows: { rows, truncated } };
  }

  private async forward(server: string, query: StoreQuery, tasks: readonly string[]): Promise<Part> {
    const answer = await this.remote(server, queryPath(query, tasks), this.options.timeoutMs);
    if (answer.status !== 200) return { ok: false, answer };
    const body = answer.body as { rows?: { sortKey?: unknown; entry?: unknown }[]; truncated?: unknown };
    if (!Array.isArray(body.rows)) return fail(502, "WEIR_QUERY_FORWARD_FAILED", `instance ${server} answered without rows`);
    const rows = body.rows.map((r) => ({ sortKey: Buffer.from(String(r.sortKey), "base64"), entry: r.entry as Record<string, unknown> }));
    return { ok: true, rows: { rows, truncated: body.truncated === true } };
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
