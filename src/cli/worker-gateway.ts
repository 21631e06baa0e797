// The public HTTP port of `weir run --workers N` (docs/architecture.md, "Workers"): /metrics summed over the
// workers, /health and /ready only when every worker is, and every other path (/tasks, /topology, /stores/…, the
// dashboard) answered by a live worker, which already lists every instance and forwards interactive queries.
import Fastify, { type FastifyInstance } from "fastify";
import { AggregatorRegistry, type MetricObjectWithValues, type MetricValue } from "prom-client";
import type { Logger } from "pino";

/** What one worker reported, or why it could not. */
export type WorkerReport =
  | {
      readonly index: number;
      readonly health: { readonly healthy: boolean; readonly reason?: string };
      readonly readiness: { readonly ready: boolean; readonly reason?: string };
      readonly metrics: readonly MetricObjectWithValues<MetricValue<string>>[];
    }
  | { readonly index: number; readonly down: string };

export interface WorkerDirectory {
  /** Every worker's report, in index order; a worker that is down or does not answer in time reports why. */
  reports(): Promise<readonly WorkerReport[]>;
  /** The HTTP address of a running worker, for the paths a worker answers; undefined when none runs. */
  liveWorker(): { readonly host: string; readonly port: number } | undefined;
}

/**
 * The workers' metrics as one exposition. prom-client's aggregation: counters, histograms and gauges are summed
 * per label set (weir_tasks_owned, weir_consumer_lag per partition and the process gauges give the service's
 * total; a partition's lag is reported by the one worker that owns it), except where a metric names its own
 * aggregator (the event-loop lag percentiles are averaged, process_start_time_seconds omitted, version info taken once).
 */
export async function aggregateMetrics(perWorker: readonly (readonly MetricObjectWithValues<MetricValue<string>>[])[]): Promise<{ text: string; contentType: string }> {
  const registry = AggregatorRegistry.aggregate(perWorker.map((m) => [...m]));
  return { text: await registry.metrics(), contentType: registry.contentType };
}

/** Healthy only if every worker is; the reason names each worker that is not. */
export function serviceHealth(reports: readonly WorkerReport[]): { healthy: boolean; reason?: string } {
  const problems = reports.flatMap((r) => ("down" in r ? [`worker ${r.index}: ${r.down}`] : r.health.healthy ? [] : [`worker ${r.index}: ${r.health.reason ?? "not healthy"}`]));
  return problems.length === 0 ? { healthy: true } : { healthy: false, reason: problems.join("; ") };
}

/** Ready only if every worker is; the reason names each worker that is not. */
export function serviceReadiness(reports: readonly WorkerReport[]): { ready: true } | { ready: false; reason: string } {
  const problems = reports.flatMap((r) => ("down" in r ? [`worker ${r.index}: ${r.down}`] : r.readiness.ready ? [] : [`worker ${r.index}: ${r.readiness.reason ?? "not ready"}`]));
  return problems.length === 0 ? { ready: true } : { ready: false, reason: problems.join("; ") };
}

export interface Gateway {
  readonly port: number;
  close(): Promise<void>;
}

/** Headers not passed on between a client and a worker (hop-by-hop, or set again by fetch and fastify). */
const dropped = new Set(["host", "connection", "keep-alive", "transfer-encoding", "content-length", "upgrade"]);

export async function startGateway(workers: WorkerDirectory, options: { host: string; port: number }, logger: Logger): Promise<Gateway> {
  const app: FastifyInstance = Fastify({ logger: false });
  app.get("/metrics", async (_req, reply) => {
    const reports = await workers.reports();
    const { text, contentType } = await aggregateMetrics(reports.flatMap((r) => ("down" in r ? [] : [r.metrics])));
    return reply.type(contentType).send(text);
  });
  app.get("/health", async (_req, reply) => {
    const health = serviceHealth(await workers.reports());
    return reply.code(health.healthy ? 200 : 503).send({ status: health.healthy ? "UP" : "DOWN", ...(health.reason ? { reason: health.reason } : {}) });
  });
  app.get("/ready", async (_req, reply) => {
    const readiness = serviceReadiness(await workers.reports());
    return reply.code(readiness.ready ? 200 : 503).send(readiness.ready ? { status: "READY" } : { status: "NOT_READY", reason: readiness.reason });
  });
  app.get("/*", async (req, reply) => {
    const worker = workers.liveWorker();
    if (!worker) return reply.code(503).send({ error: "no worker is running (they are starting or restarting); try again" });
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) if (typeof value === "string" && !dropped.has(name)) headers[name] = value;
    try {
      const answer = await fetch(`http://${worker.host}:${worker.port}${req.url}`, { headers, signal: AbortSignal.timeout(10_000) });
      // Every header of the answer but the hop-by-hop ones (Retry-After, X-Weir-* and the content type pass on).
      answer.headers.forEach((value, name) => {
        if (!dropped.has(name) && name !== "content-encoding") void reply.header(name, value);
      });
      return reply.code(answer.status).send(Buffer.from(await answer.arrayBuffer()));
    } catch (err) {
      return reply.code(502).send({ error: `the worker at ${worker.host}:${worker.port} did not answer: ${err instanceof Error ? err.message : String(err)}` });
    }
  });
  await app.listen({ host: options.host, port: options.port });
  const address = app.server.address();
  const port = typeof address === "object" && address !== null ? address.port : options.port;
  logger.info({ host: options.host, port }, "http server listening");
  return { port, close: () => app.close() };
}
