// The tasks of every instance of the application, for /tasks and the dashboard: this instance's own, and
// each other instance's as it reports them at its /tasks?scope=local, asked in parallel with a timeout.
// An instance that does not answer in time is listed with the tasks the group gave it and the error.
import type { InstanceTasks, TasksView } from "../server/http-server.ts";
import type { InstanceMap } from "./instance-map.ts";

export type FetchJson = (url: string, timeoutMs: number) => Promise<unknown>;

export async function instancesView(local: TasksView, map: InstanceMap | undefined, self: string | null, timeoutMs: number, fetchJson: FetchJson = getJson): Promise<TasksView> {
  if (!map) return local;
  const own = local.instances[0]!;
  const instances = await Promise.all(
    map.servers().map(async (server): Promise<InstanceTasks> => {
      if (server === self) return { ...own, tasks: [...new Set([...own.tasks, ...map.tasksOf(server)])] };
      const assigned = map.tasksOf(server);
      try {
        const view = (await fetchJson(`http://${server}/tasks?scope=local`, timeoutMs)) as Partial<TasksView>;
        if (typeof view.instance !== "string" || !Array.isArray(view.tasks)) throw new Error("its /tasks answer is not a tasks view");
        return { instance: view.instance, applicationServer: server, state: String(view.state), tasks: assigned, snapshots: view.tasks };
      } catch (err) {
        return { instance: server, applicationServer: server, tasks: assigned, error: (err as Error).message };
      }
    }),
  );
  if (!instances.some((i) => i.applicationServer === self)) instances.unshift(own);
  return { ...local, instances };
}

async function getJson(url: string, timeoutMs: number): Promise<unknown> {
  const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  if (!response.ok) throw new Error(`${url} answered ${response.status}`);
  return response.json();
}
