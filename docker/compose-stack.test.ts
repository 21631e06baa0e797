// docker/compose.yaml run for real: Kafka, the registry, two Weir instances (weir:local, the image of
// docker/Dockerfile) and Prometheus, all from the local images of scripts/images.sh, on the host network and
// loopback ports picked here. The stack's own input is produced, its committed output checked, Prometheus
// asked whether it scrapes both instances, one instance asked for pages the other owns, and each instance
// stopped with SIGTERM (docker compose stop), which must end it with exit code 0.
// Run by scripts/container-tests.sh (the container stage of `make test`) with DOCKER_HOST set; it fails, never
// skips, without an engine.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { execFile, execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { readTopic, TopicWriter } from "../src/kafka/tools.ts";
import { partitionForKey } from "../src/kafka/partitioner.ts";
import { pageViews } from "../topologies/pageviews/generate.ts";
import { eventually, root } from "../integration-tests/helpers/cluster.ts";
import { freePorts } from "../integration-tests/helpers/containers.ts";

const run = promisify(execFile);
const PARTITIONS = 4;

/** `docker compose` when the CLI plugin is there, else docker-compose (scripts/docker-tools.sh installs it). */
function composeCommand(): string[] {
  try {
    execFileSync("docker", ["compose", "version"], { stdio: "ignore" });
    return ["docker", "compose"];
  } catch {
    try {
      execFileSync("docker-compose", ["version"], { stdio: "ignore" });
      return ["docker-compose"];
    } catch {
      throw new Error("neither `docker compose` nor docker-compose is installed: run scripts/docker-tools.sh");
    }
  }
}

const [kafkaPort, controllerPort, registryPort, weir1Port, weir2Port, prometheusPort] = (await freePorts(6)) as [number, number, number, number, number, number];
const work = mkdtempSync(join(tmpdir(), "weir-compose-"));
const prometheusConfig = join(work, "prometheus.yml");
writeFileSync(
  prometheusConfig,
  [
    "global: { scrape_interval: 2s, evaluation_interval: 2s }",
    "scrape_configs:",
    "  - job_name: weir",
    "    metrics_path: /metrics",
    `    static_configs: [{ targets: ["127.0.0.1:${weir1Port}", "127.0.0.1:${weir2Port}"] }]`,
    "",
  ].join("\n"),
);
// scripts/container-tests.sh names the project, so that it can remove the stack even if this process is killed.
const project = process.env.WEIR_COMPOSE_PROJECT ?? `weircompose${Date.now().toString(36)}`;
const env: NodeJS.ProcessEnv = {
  ...process.env,
  WEIR_KAFKA_PORT: String(kafkaPort),
  WEIR_KAFKA_CONTROLLER_PORT: String(controllerPort),
  WEIR_REGISTRY_PORT: String(registryPort),
  WEIR_1_PORT: String(weir1Port),
  WEIR_2_PORT: String(weir2Port),
  WEIR_PROMETHEUS_PORT: String(prometheusPort),
  WEIR_PROMETHEUS_CONFIG: prometheusConfig,
};
const compose = composeCommand();

async function composeRun(args: string[], timeoutMs = 600_000): Promise<string> {
  const [command, ...prefix] = compose as [string, ...string[]];
  try {
    const { stdout } = await run(command, [...prefix, "-f", join(root, "docker/compose.yaml"), "-p", project, ...args], { env, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 });
    return stdout;
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(`${compose.join(" ")} ${args.join(" ")} failed: ${(error as Error).message}\n${stdout ?? ""}\n${stderr ?? ""}`.slice(0, 8000), { cause: error });
  }
}

async function containerOf(service: string): Promise<string> {
  const id = (await composeRun(["ps", "-q", service])).trim();
  assert.ok(id, `no container for ${service}`);
  return id;
}

async function logsOf(service: string): Promise<string> {
  return composeRun(["logs", "--no-color", "--tail", "60", service]).catch((error: Error) => error.message);
}

async function getJson<T>(url: string): Promise<{ status: number; body: T }> {
  const response = await fetch(url);
  return { status: response.status, body: (await response.json()) as T };
}

after(async () => {
  await composeRun(["down", "--volumes", "--remove-orphans", "--timeout", "30"]).catch((error: Error) => console.error(error.message));
  rmSync(work, { recursive: true, force: true });
});

test("the compose stack runs: committed output, Prometheus scraping both instances, a forwarded query, SIGTERM exits cleanly", async (t) => {
  const started = Date.now();
  // up -d returns once kafka is healthy, topics has completed and the others have started.
  await composeRun(["up", "-d", "--no-build", "kafka", "topics", "schema-registry", "weir-1", "weir-2", "prometheus"]);
  t.diagnostic(`stack up in ${Math.round((Date.now() - started) / 1000)} s`);
  const instances = [`http://127.0.0.1:${weir1Port}`, `http://127.0.0.1:${weir2Port}`] as const;
  const registry = `http://127.0.0.1:${registryPort}/apis/ccompat/v7`;
  const prometheus = `http://127.0.0.1:${prometheusPort}`;

  await eventually("both Weir instances ready", 300_000, async () => {
    for (const base of instances) if ((await fetch(`${base}/ready`).catch(() => undefined))?.status !== 200) return false;
    return true;
  }).catch(async (error: Error) => assert.fail(`${error.message}\n${await logsOf("weir-1")}\n${await logsOf("weir-2")}`));
  await eventually("the registry's API (KafkaSQL storage)", 300_000, async () => (await fetch(`${registry}/subjects`).catch(() => undefined))?.status === 200)
    .catch(async (error: Error) => assert.fail(`${error.message}\n${await logsOf("schema-registry")}`));
  let targets = "";
  await eventually("Prometheus scraping both instances", 120_000, async () => {
    const { body } = await getJson<{ data: { activeTargets: { scrapeUrl: string; health: string }[] } }>(`${prometheus}/api/v1/targets`).catch(() => ({ body: { data: { activeTargets: [] } } }));
    targets = JSON.stringify(body.data.activeTargets.map((target) => [target.scrapeUrl, target.health]));
    const up = body.data.activeTargets.filter((target) => target.health === "up").map((target) => target.scrapeUrl).sort();
    // Both sorted: the two free ports come in either order.
    const wanted = instances.map((base) => `${base}/metrics`).sort();
    return up.length === 2 && up[0] === wanted[0] && up[1] === wanted[1];
  }).catch(async (error: Error) => assert.fail(`${error.message}; Prometheus' targets: ${targets}\n${await logsOf("prometheus")}`));

  const consumed = async (): Promise<number> => {
    const { body } = await getJson<{ data: { result: { value: [number, string] }[] } }>(`${prometheus}/api/v1/query?query=${encodeURIComponent("sum(weir_records_consumed_total)")}`);
    return Number(body.data.result[0]?.value[1] ?? 0);
  };
  const consumedBefore = await consumed();

  // The stack's own input: 3,000 page views on its pageviews topic, of which the kept ones must come out.
  process.env.KAFKA_BOOTSTRAP_SERVERS = `127.0.0.1:${kafkaPort}`;
  const connection = { brokers: [`127.0.0.1:${kafkaPort}`] };
  const views = pageViews(3_000, 23);
  const writer = new TopicWriter(connection);
  await writer.connect();
  await writer.write("pageviews", views.map((v) => ({ key: v.userId, value: JSON.stringify(v) })));
  await writer.close();
  const kept = views.filter((v) => !/bot|crawler|spider/i.test(v.userAgent) && v.durationMs >= 0);
  const perPage = new Map<string, number>();
  for (const v of kept) {
    const url = new URL(v.url);
    const page = `${url.hostname}${url.pathname.toLowerCase()}`;
    perPage.set(page, (perPage.get(page) ?? 0) + 1);
  }

  const output = await readTopic(connection, "pageviews-clean", { count: kept.length, timeoutMs: 180_000 });
  assert.equal(output.length, kept.length, `committed output records\n${await logsOf("weir-1")}\n${await logsOf("weir-2")}`);
  const settled = await readTopic(connection, "pageviews-clean", { timeoutMs: 3000 });
  assert.equal(settled.length, kept.length, "no record past the kept views (read_committed, once quiet)");
  const outputPerPage = new Map<string, number>();
  for (const r of settled) outputPerPage.set(r.key!.toString(), (outputPerPage.get(r.key!.toString()) ?? 0) + 1);
  assert.deepEqual(new Map([...outputPerPage].sort()), new Map([...perPage].sort()));

  await eventually("Prometheus seeing weir_records_consumed_total rise by every view", 120_000, async () => (await consumed()) >= consumedBefore + views.length);
  const byInstance = await getJson<{ data: { result: { metric: { instance: string }; value: [number, string] }[] } }>(
    `${prometheus}/api/v1/query?query=${encodeURIComponent("sum by (instance) (weir_records_consumed_total)")}`,
  );
  assert.deepEqual(byInstance.body.data.result.map((r) => r.metric.instance).sort(), [`127.0.0.1:${weir1Port}`, `127.0.0.1:${weir2Port}`].sort());

  // The counts live in sub-topology 1's tasks (task 1_p holds the pages of partition p), which the group
  // places on one instance or both: each page is asked of an instance that does not own it, so every
  // answer is forwarded to the owner.
  interface TasksJson { readonly instances: { applicationServer: string | null; tasks: string[] }[] }
  let owners = new Map<string, string>();
  let servers: string[] = [];
  await eventually("the count tasks assigned, and both instances running tasks", 120_000, async () => {
    const { body } = await getJson<TasksJson>(`${instances[0]}/tasks`);
    owners = new Map(body.instances.flatMap((i) => i.tasks.filter((task) => task.startsWith("1_")).map((task) => [task, i.applicationServer ?? ""] as const)));
    servers = body.instances.filter((i) => i.tasks.length > 0).map((i) => i.applicationServer ?? "");
    return owners.size === PARTITIONS && servers.length === 2;
  });
  const otherThan = (server: string) => instances.find((base) => base !== `http://${server}`)!;
  const forwardedBy = new Map<string, number>();
  await eventually("every page's count answered by the instance that does not own it", 120_000, async () => {
    forwardedBy.clear();
    for (const [page, count] of perPage) {
      const owner = owners.get(`1_${partitionForKey(Buffer.from(page), PARTITIONS)}`)!;
      assert.ok(servers.includes(owner), `${page}: owner ${owner} is one of ${servers.join(", ")}`);
      const asked = otherThan(owner);
      const answer = await fetch(`${asked}/stores/views-per-page/keys/${encodeURIComponent(page)}`);
      if (answer.status !== 200 || ((await answer.json()) as { value: number }).value !== count) return false;
      forwardedBy.set(asked, (forwardedBy.get(asked) ?? 0) + 1);
    }
    return true;
  });
  t.diagnostic(`${perPage.size} pages, each answered through the instance that does not own it: ${JSON.stringify([...forwardedBy])}`);

  // SIGTERM: docker compose stop sends it and waits (stop_grace_period 60 s) before a SIGKILL, which would be 137.
  for (const service of ["weir-2", "weir-1"]) {
    const id = await containerOf(service);
    await composeRun(["stop", "--timeout", "60", service]);
    const state = JSON.parse((await run("docker", ["inspect", "--format", "{{json .State}}", id], { env })).stdout) as { Status: string; ExitCode: number; OOMKilled: boolean };
    assert.equal(state.Status, "exited", service);
    assert.equal(state.ExitCode, 0, `${service} exits cleanly on SIGTERM\n${await logsOf(service)}`);
  }
  t.diagnostic(`compose stack test in ${Math.round((Date.now() - started) / 1000)} s`);
});
