import { test } from "node:test";
import assert from "node:assert/strict";
import type { TasksView } from "../server/http-server.ts";
import { InstanceMap } from "./instance-map.ts";
import { instancesView, type FetchJson } from "./instances-view.ts";

const local: TasksView = {
  applicationId: "app",
  instance: "app-a",
  state: "running",
  instances: [{ instance: "app-a", applicationServer: "a:1", state: "running", tasks: ["0_0"] }],
  tasks: [{ id: "0_0", status: "running", partitions: [] }],
};
const map = new InstanceMap(new Map([[0, 3]]), new Map([["0_0", "a:1"], ["0_1", "b:2"], ["0_2", "c:3"]]));

test("/tasks lists every instance: this one, the others as they report themselves, and one that did not answer with the error", async () => {
  const asked: string[] = [];
  const fetchJson: FetchJson = async (url) => {
    asked.push(url);
    if (url.startsWith("http://c:3/")) throw new Error("The operation was aborted due to timeout");
    return { instance: "app-b", state: "running", tasks: [{ id: "0_1", status: "restoring", partitions: [] }] };
  };
  const view = await instancesView(local, map, "a:1", 100, fetchJson);
  assert.deepEqual(asked.sort(), ["http://b:2/tasks?scope=local", "http://c:3/tasks?scope=local"]);
  assert.deepEqual(view.tasks, local.tasks);
  assert.deepEqual(view.instances, [
    { instance: "app-a", applicationServer: "a:1", state: "running", tasks: ["0_0"] },
    { instance: "app-b", applicationServer: "b:2", state: "running", tasks: ["0_1"], snapshots: [{ id: "0_1", status: "restoring", partitions: [] }] },
    { instance: "c:3", applicationServer: "c:3", tasks: ["0_2"], error: "The operation was aborted due to timeout" },
  ]);
});

test("while the owners are unknown, /tasks shows this instance only and asks no one", async () => {
  const view = await instancesView(local, undefined, "a:1", 100, () => Promise.reject(new Error("asked")));
  assert.deepEqual(view, local);
});
