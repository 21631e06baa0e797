// A worker's side of `weir run --workers N`: it answers its supervisor's report requests over the IPC channel
// (health, readiness, metrics for the public port) and stops when the supervisor is gone.
import type { App } from "../runtime/app.ts";
import type { ReportRequest, WorkerMessage } from "./worker-supervisor.ts";

/** Wires this worker to its supervisor; `stop` is the worker's own SIGTERM handling. */
export function answerSupervisor(started: { readonly app?: App }, stop: () => void): { listening: (port: number) => void } {
  const send = (message: WorkerMessage) => {
    if (process.connected) process.send?.(message);
  };
  // The channel does not keep the worker alive: it ends when its app stops, as a separate instance does.
  process.channel?.unref();
  process.on("message", (message: ReportRequest) => {
    if (message.kind !== "report") return;
    const app = started.app;
    if (!app) {
      send({ kind: "report", id: message.id, health: { healthy: true }, readiness: { ready: false, reason: "loading the module" }, metrics: [] });
      return;
    }
    void app.metrics.registry
      .getMetricsAsJSON()
      .then((metrics) => send({ kind: "report", id: message.id, health: app.health(), readiness: app.readiness(), metrics }))
      // Unanswered, the supervisor reports this worker as not answering.
      .catch((err: unknown) => app.logger.warn({ err }, "could not collect metrics for the supervisor"));
  });
  // The supervisor died (SIGKILL, OOM): no worker is left behind, each stops as on SIGTERM.
  process.once("disconnect", stop);
  return { listening: (port) => send({ kind: "listening", port }) };
}
