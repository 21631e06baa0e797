// The per-instance HTTP endpoints: /metrics, /health, /ready, /topology, /tasks, /stores (interactive
// queries, see queries.ts) and the dashboard at /.
// It serves what an AppView tells it and knows nothing of how the app processes records.
import { readFile } from "node:fs/promises";
import { dirname, extname, join } from "node:path";
import { fileURLToPath } from "node:url";
import Fastify, { type FastifyInstance } from "fastify";
import type { Logger } from "pino";
import { registerQueryRoutes, type QueryHandler } from "./queries.ts";

export interface TopologyView {
  readonly applicationId: string;
  readonly text: string;
  readonly mermaid: string;
  readonly subTopologies: readonly {
    readonly id: number;
    readonly nodes: readonly { name: string; kind: "source" | "processor" | "sink"; topics: readonly string[]; stores: readonly string[]; children: readonly string[] }[];
  }[];
}

export interface TasksView {
  readonly applicationId: string;
  readonly instance: string;
  readonly state: string;
  /** Every instance of the application (this one only, for `?scope=local` or while the group rebalances). */
  readonly instances: readonly InstanceTasks[];
  /** This instance's tasks. */
  readonly tasks: readonly unknown[];
  /** This instance's standby tasks, with their lag (numStandbyReplicas > 0). */
  readonly standbys?: readonly unknown[];
}

export interface InstanceTasks {
  /** Its client id, or its address when it did not answer. */
  readonly instance: string;
  readonly applicationServer: string | null;
  readonly state?: string;
  /** The ids of the tasks the group gave it. */
  readonly tasks: readonly string[];
  /** Its tasks as it reported them (status, partitions, lag); absent for this instance (see `tasks`) or when it did not answer. */
  readonly snapshots?: readonly unknown[];
  /** Why it did not answer. */
  readonly error?: string;
}

export interface AppView {
  /** Alive: the process and its Kafka clients work. */
  health(): { healthy: boolean; reason?: string };
  /** Ready: assigned tasks are restored and running. */
  readiness(): { ready: true } | { ready: false; reason: string };
  topology(): TopologyView;
  /** `local`: this instance's tasks; `all`: every instance's, asking the others. */
  tasks(scope: "local" | "all"): Promise<TasksView>;
  /** Interactive queries; without it the /stores endpoints are not served. */
  readonly query?: QueryHandler;
  metrics(): Promise<string>;
  readonly metricsContentType: string;
}

export interface HttpServer {
  readonly port: number;
  close(): Promise<void>;
}

const dashboardDir = join(dirname(fileURLToPath(import.meta.url)), "dashboard");
const contentTypes: Record<string, string> = { ".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8", ".svg": "image/svg+xml" };

export async function startHttpServer(view: AppView, options: { host: string; port: number }, logger: Logger): Promise<HttpServer> {
  const app: FastifyInstance = Fastify({ logger: false });
  app.get("/metrics", async (_req, reply) => reply.type(view.metricsContentType).send(await view.metrics()));
  app.get("/health", async (_req, reply) => {
    const health = view.health();
    return reply.code(health.healthy ? 200 : 503).send({ status: health.healthy ? "UP" : "DOWN", ...(health.reason ? { reason: health.reason } : {}) });
  });
  app.get("/ready", async (_req, reply) => {
    const readiness = view.readiness();
    return reply.code(readiness.ready ? 200 : 503).send(readiness.ready ? { status: "READY" } : { status: "NOT_READY", reason: readiness.reason });
  });
  app.get("/topology", async () => view.topology());
  app.get<{ Querystring: { scope?: string } }>("/tasks", async (req) => view.tasks(req.query.scope === "local" ? "local" : "all"));
  if (view.query) registerQueryRoutes(app, view.query);
  app.get("/", async (_req, reply) => sendDashboardFile(reply, "index.html"));
  app.get<{ Params: { file: string } }>("/dashboard/:file", async (req, reply) => sendDashboardFile(reply, req.params.file));
  await app.listen({ host: options.host, port: options.port });
  const address = app.server.address();
  const port = typeof address === "object" && address !== null ? address.port : options.port;
  logger.info({ host: options.host, port }, "http server listening");
  return { port, close: () => app.close() };
}

async function sendDashboardFile(reply: import("fastify").FastifyReply, file: string) {
  // Only plain file names from the dashboard folder: no paths, no dot files.
  if (!/^[A-Za-z0-9_-][A-Za-z0-9_.-]*$/.test(file)) return reply.code(404).send({ error: "not found" });
  try {
    const body = await readFile(join(dashboardDir, file));
    return reply.type(contentTypes[extname(file)] ?? "application/octet-stream").send(body);
  } catch {
    return reply.code(404).send({ error: "not found" });
  }
}
