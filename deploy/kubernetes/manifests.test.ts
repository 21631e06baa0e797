// Checks the Kubernetes manifests offline: each object against its kind's schema (kubernetes-models ships
// Kubernetes' and the Prometheus Operator's), no field its kind lacks (the same package's types), and that
// they agree with Weir itself: settings it reads, probe paths it serves, its shutdown timeout and port.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1";
import { StatefulSet } from "kubernetes-models/apps/v1";
import { ConfigMap, Service } from "kubernetes-models/v1";
import type { IConfigMap, IContainer, IService } from "kubernetes-models/v1";
import type { IStatefulSet } from "kubernetes-models/apps/v1";
import type { IPodDisruptionBudget } from "kubernetes-models/policy/v1";
import { ServiceMonitor, type IServiceMonitor } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1";
import { pino } from "pino";
import ts from "typescript";
import { parseAllDocuments } from "yaml";
import { configSchema, envName, environmentOverrides, resolveConfig } from "../../src/runtime/config.ts";
import { startHttpServer, type AppView } from "../../src/server/http-server.ts";

const dir = fileURLToPath(new URL(".", import.meta.url));

/** Each kind the manifests may hold: its schema-validating model and where its TypeScript type lives. */
const kinds = {
  "v1/ConfigMap": { model: ConfigMap, module: "kubernetes-models/v1", type: "IConfigMap" },
  "v1/Service": { model: Service, module: "kubernetes-models/v1", type: "IService" },
  "apps/v1/StatefulSet": { model: StatefulSet, module: "kubernetes-models/apps/v1", type: "IStatefulSet" },
  "policy/v1/PodDisruptionBudget": { model: PodDisruptionBudget, module: "kubernetes-models/policy/v1", type: "IPodDisruptionBudget" },
  "monitoring.coreos.com/v1/ServiceMonitor": {
    model: ServiceMonitor,
    module: "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1",
    type: "IServiceMonitor",
  },
} as const;
type KindKey = keyof typeof kinds;

interface Manifest {
  readonly file: string;
  readonly kind: KindKey;
  readonly object: { apiVersion: string; kind: string; metadata: { name: string; labels?: Record<string, string> } } & Record<string, unknown>;
}

const manifests: Manifest[] = readdirSync(dir)
  .filter((f) => f.endsWith(".yaml"))
  .sort()
  .flatMap((file) =>
    parseAllDocuments(readFileSync(join(dir, file), "utf8")).map((doc) => {
      assert.deepEqual(doc.errors, [], `${file}: YAML errors`);
      const object = doc.toJS() as Manifest["object"];
      const kind = `${object.apiVersion}/${object.kind}`;
      assert.ok(kind in kinds, `${file}: ${kind} is not a kind this test knows`);
      return { file, kind: kind as KindKey, object };
    }),
  );

function only<T>(kind: KindKey, name?: string): T {
  const found = manifests.filter((m) => m.kind === kind && (name === undefined || m.object.metadata.name === name));
  assert.equal(found.length, 1, `expected one ${kind}${name ? ` named ${name}` : ""}, found ${found.length}`);
  return found[0]!.object as unknown as T;
}

const statefulSet = only<IStatefulSet>("apps/v1/StatefulSet");
const podSpec = statefulSet.spec!.template.spec!;
const container: IContainer = podSpec.containers[0]!;
const configMap = only<IConfigMap>("v1/ConfigMap");
const headless = only<IService>("v1/Service", statefulSet.spec!.serviceName);
const podLabels = statefulSet.spec!.template.metadata!.labels!;

/** The container's environment as the kubelet makes it: the ConfigMap, then `env` with `$(VAR)` expanded. */
function containerEnvironment(pod: { name: string; namespace: string }): Record<string, string> {
  const env: Record<string, string> = {};
  for (const from of container.envFrom ?? []) {
    assert.equal(from.configMapRef?.name, configMap.metadata!.name, "envFrom names the manifests' ConfigMap");
    Object.assign(env, configMap.data);
  }
  const fields: Record<string, string> = { "metadata.name": pod.name, "metadata.namespace": pod.namespace };
  for (const variable of container.env ?? []) {
    const field = variable.valueFrom?.fieldRef?.fieldPath;
    const value = field !== undefined ? fields[field] : variable.value?.replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (ref, name: string) => env[name] ?? ref);
    assert.ok(value !== undefined, `env ${variable.name}: an unsupported source`);
    env[variable.name] = value;
  }
  return env;
}

test("every manifest is a valid object of its kind by Kubernetes' and the Prometheus Operator's schemas", () => {
  assert.deepEqual([...new Set(manifests.map((m) => m.kind))].sort(), Object.keys(kinds).sort());
  for (const { file, kind, object } of manifests) {
    const Model = kinds[kind].model as unknown as new (data: unknown) => { validate(): void };
    assert.doesNotThrow(() => new Model(object).validate(), `${file}: ${kind} ${object.metadata.name}`);
  }
});

test("the schema check rejects a manifest with a wrong type or a missing required field", () => {
  const wrongType = structuredClone(statefulSet) as unknown as { spec: { replicas: unknown } };
  wrongType.spec.replicas = "2";
  assert.throws(() => new StatefulSet(wrongType as unknown as IStatefulSet).validate(), /replicas must be integer/);
  const noPort = structuredClone(statefulSet);
  delete (noPort.spec!.template.spec!.containers[0]!.readinessProbe!.httpGet as { port?: unknown }).port;
  assert.throws(() => new StatefulSet(noPort).validate(), /readinessProbe\/httpGet must have required property port/);
});

/** TypeScript's excess-property errors for the manifests typed as their kinds: fields the kinds do not define. */
function unknownFields(objects: readonly Manifest[]): string[] {
  const fileName = join(dir, "manifests.generated.ts");
  const text = objects
    .map(({ kind, object }, i) => `import type { ${kinds[kind].type} as T${i} } from "${kinds[kind].module}";\nexport const m${i}: T${i} = ${JSON.stringify(object)};`)
    .join("\n");
  const options: ts.CompilerOptions = { strict: true, noEmit: true, skipLibCheck: true, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, target: ts.ScriptTarget.ES2022, types: [] };
  const disk = ts.createCompilerHost(options);
  // The generated file exists only in memory; everything else (the models' types) is read from disk.
  const host: ts.CompilerHost = {
    ...disk,
    getSourceFile: (name, language, ...rest) => (name === fileName ? ts.createSourceFile(name, text, language) : disk.getSourceFile(name, language, ...rest)),
    fileExists: (name) => name === fileName || disk.fileExists(name),
    readFile: (name) => (name === fileName ? text : disk.readFile(name)),
  };
  const program = ts.createProgram([fileName], options, host);
  return ts.getPreEmitDiagnostics(program, program.getSourceFile(fileName)).map((d) => {
    const i = d.file && d.start !== undefined ? Number(/export const m(\d+)/.exec(text.slice(text.lastIndexOf("export const m", d.start)))?.[1]) : NaN;
    return `${objects[i]?.file ?? "?"}: ${ts.flattenDiagnosticMessageText(d.messageText, " ")}`;
  });
}

test("no manifest sets a field its kind does not define (a misspelt field would be ignored by the cluster)", () => {
  const misspelt = structuredClone(manifests.find((m) => m.kind === "apps/v1/StatefulSet")!);
  (misspelt.object.spec as Record<string, unknown>).terminationGracePeriod = 45;
  const problems = unknownFields([...manifests, misspelt]);
  assert.equal(problems.length, 1, problems.join("\n"));
  assert.match(problems[0]!, /terminationGracePeriod/, "the check finds the misspelt field it was given");
});

test("every WEIR_* variable the manifests set is a Weir setting, and Weir accepts the pod's environment", () => {
  const env = containerEnvironment({ name: "weir-0", namespace: "streams" });
  const known = new Set(Object.keys(configSchema.shape).map(envName));
  for (const name of Object.keys(env).filter((n) => n.startsWith("WEIR_"))) assert.ok(known.has(name), `${name} is not a setting of src/runtime/config.ts`);
  const overrides = environmentOverrides(env);
  assert.deepEqual(Object.keys(overrides).map(envName).sort(), Object.keys(env).filter((n) => n.startsWith("WEIR_")).sort(), "config.ts reads each of them from the environment");
  const config = resolveConfig(overrides);
  assert.equal(config.clientId, "weir-0");
  assert.equal(config.httpHost, "0.0.0.0");
});

test("applicationServer is the pod's DNS name under the StatefulSet's headless Service, on the HTTP port", () => {
  assert.equal(headless.spec!.clusterIP, "None");
  assert.equal(headless.spec!.publishNotReadyAddresses, true, "a restoring pod must stay reachable by the others");
  const config = resolveConfig(environmentOverrides(containerEnvironment({ name: "weir-1", namespace: "streams" })));
  assert.equal(config.applicationServer, `weir-1.${headless.metadata!.name}.streams.svc:${config.httpPort}`);
  assert.equal(statefulSet.metadata!.name, "weir", "pod names are <StatefulSet name>-<ordinal>");
});

test("the probes and the scrape ask paths Weir's HTTP server answers, on the container's HTTP port", async () => {
  const config = resolveConfig(environmentOverrides(containerEnvironment({ name: "weir-0", namespace: "streams" })));
  const http = container.ports!.find((p) => p.name === "http")!;
  assert.equal(http.containerPort, config.httpPort);
  const probes = [container.startupProbe, container.livenessProbe, container.readinessProbe];
  for (const probe of probes) assert.equal(probe?.httpGet?.port, "http");
  assert.deepEqual(probes.map((p) => p!.httpGet!.path), ["/health", "/health", "/ready"]);
  const view: AppView = {
    health: () => ({ healthy: true }),
    readiness: () => ({ ready: true }),
    topology: () => ({ applicationId: "a", text: "", mermaid: "", subTopologies: [] }),
    tasks: async () => ({ applicationId: "a", instance: "i", state: "running", instances: [], tasks: [] }),
    metrics: async () => "",
    metricsContentType: "text/plain",
  };
  const server = await startHttpServer(view, { host: "127.0.0.1", port: 0 }, pino({ level: "silent" }));
  try {
    for (const path of new Set([...probes.map((p) => p!.httpGet!.path!), "/metrics"])) {
      const response = await fetch(`http://127.0.0.1:${server.port}${path}`);
      assert.equal(response.status, 200, path);
      await response.body?.cancel();
    }
  } finally {
    await server.close();
  }
});

test("the grace period outlasts shutdownTimeoutMs, so Weir's own timeout fires before the kubelet's SIGKILL", () => {
  const config = resolveConfig(environmentOverrides(containerEnvironment({ name: "weir-0", namespace: "streams" })));
  assert.ok(podSpec.terminationGracePeriodSeconds! * 1000 > config.shutdownTimeoutMs, `${podSpec.terminationGracePeriodSeconds} s vs ${config.shutdownTimeoutMs} ms`);
});

test("the state dir is the mount of a volume claimed per pod", () => {
  const config = resolveConfig(environmentOverrides(containerEnvironment({ name: "weir-0", namespace: "streams" })));
  const mount = container.volumeMounts!.find((m) => m.mountPath === config.stateDir);
  assert.ok(mount, `nothing is mounted at stateDir ${config.stateDir}`);
  assert.deepEqual(statefulSet.spec!.volumeClaimTemplates!.map((c) => c.metadata!.name), [mount.name]);
  assert.ok(!podSpec.volumes?.some((v) => v.name === mount.name), "the state volume comes from the claim template, not a shared volume");
});

test("Services, the disruption budget and the ServiceMonitor select the StatefulSet's pods; Prometheus scrapes each pod once", () => {
  const selects = (selector: Record<string, string> | undefined) => Object.entries(selector ?? {}).every(([k, v]) => podLabels[k] === v);
  const config = resolveConfig(environmentOverrides(containerEnvironment({ name: "weir-0", namespace: "streams" })));
  assert.deepEqual(statefulSet.spec!.selector.matchLabels, podLabels);
  for (const service of manifests.filter((m) => m.kind === "v1/Service").map((m) => m.object as unknown as IService)) {
    assert.ok(selects(service.spec!.selector), `Service ${service.metadata!.name}`);
    assert.deepEqual(service.spec!.ports!.map((p) => p.targetPort), ["http"], `Service ${service.metadata!.name} targets the container's http port`);
  }
  const budget = only<IPodDisruptionBudget>("policy/v1/PodDisruptionBudget");
  assert.ok(selects(budget.spec!.selector!.matchLabels));
  assert.ok(budget.spec!.maxUnavailable !== undefined && budget.spec!.maxUnavailable !== 0, "the budget lets a drain proceed");
  const monitor = only<IServiceMonitor>("monitoring.coreos.com/v1/ServiceMonitor");
  const monitored = manifests.filter((m) => m.kind === "v1/Service" && Object.entries(monitor.spec.selector.matchLabels ?? {}).every(([k, v]) => m.object.metadata.labels?.[k] === v));
  assert.deepEqual(monitored.map((m) => m.object.metadata.name), [headless.metadata!.name], "the ServiceMonitor selects the headless Service only");
  assert.deepEqual(monitor.spec.endpoints.map((e) => [e.port, e.path]), [["http", "/metrics"]]);
  const annotations = statefulSet.spec!.template.metadata!.annotations!;
  assert.equal(annotations["prometheus.io/scrape"], "true");
  assert.equal(annotations["prometheus.io/path"], "/metrics");
  assert.equal(Number(annotations["prometheus.io/port"]), config.httpPort);
});
