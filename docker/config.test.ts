// Checks what docker-compose config and hadolint cannot: the Grafana dashboard is valid JSON that queries
// the metrics Weir really exports, through the provisioned datasource, and Prometheus scrapes every instance.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

const read = (path: string) => readFileSync(new URL(path, import.meta.url), "utf8");

/** Metric names registered in src/metrics/metrics.ts, with a histogram's series suffixes. */
function exportedMetrics(): { names: Set<string>; series: Set<string> } {
  const source = read("../src/metrics/metrics.ts");
  const names = new Set([...source.matchAll(/name: "(weir_[a-z_]+)"/g)].map((m) => m[1]!));
  const series = new Set<string>();
  for (const name of names) for (const suffix of ["", "_bucket", "_sum", "_count"]) series.add(name + suffix);
  return { names, series };
}

interface Panel {
  readonly title: string;
  readonly datasource: { readonly uid: string };
  readonly targets: readonly { readonly expr: string }[];
}

const dashboard = JSON.parse(read("grafana/dashboards/weir.json")) as { uid: string; panels: Panel[] };

test("the dashboard queries only metrics Weir exports, and every one of them", () => {
  const { names, series } = exportedMetrics();
  assert.ok(names.size >= 10, `found ${names.size} metrics in metrics.ts`);
  const used = new Set(dashboard.panels.flatMap((p) => p.targets.flatMap((t) => [...t.expr.matchAll(/weir_[a-z_]+/g)].map((m) => m[0]))));
  for (const name of used) assert.ok(series.has(name), `the dashboard queries ${name}, which src/metrics/metrics.ts does not export`);
  for (const name of names) {
    assert.ok([...used].some((u) => u === name || u.startsWith(`${name}_`)), `no panel shows ${name}`);
  }
});

test("every panel uses the provisioned Prometheus datasource", () => {
  const uid = /uid: (\S+)/.exec(read("grafana/provisioning/datasources/prometheus.yaml"))?.[1];
  assert.equal(uid, "prometheus");
  for (const panel of dashboard.panels) assert.equal(panel.datasource.uid, uid, panel.title);
});

test("Prometheus scrapes /metrics of every Weir instance of the compose file, on its default host port", () => {
  const compose = read("compose.yaml");
  const instances = [...compose.matchAll(/^ {2}([a-z0-9-]+):\n {4}<<: \*weir$/gm)].map((m) => m[1]!);
  assert.deepEqual(instances, ["weir-1", "weir-2"]);
  const prometheus = read("prometheus.yml");
  assert.match(prometheus, /metrics_path: \/metrics/);
  for (const name of instances) {
    const service = compose.slice(compose.indexOf(`  ${name}:\n`)).split(/\n {2}[a-z]/)[0]!;
    const port = /WEIR_HTTP_PORT: \$\{[A-Z0-9_]+:-(\d+)\}/.exec(service)?.[1];
    assert.ok(port, `${name} has no WEIR_HTTP_PORT with a default`);
    assert.ok(prometheus.includes(`"127.0.0.1:${port}"`), `prometheus.yml does not scrape ${name} at 127.0.0.1:${port}`);
  }
});

test("every service of the compose file runs on the host network: no bridge network is created", () => {
  const compose = read("compose.yaml");
  const services = compose.slice(compose.indexOf("\nservices:\n"), compose.indexOf("\nvolumes:\n"));
  const names = [...services.matchAll(/^ {2}([a-z0-9-]+):$/gm)].map((m) => m[1]!);
  assert.ok(names.length >= 7, names.join(", "));
  for (const name of names) {
    const body = services.slice(services.indexOf(`  ${name}:\n`)).split(/\n {2}[a-z]/)[0]!;
    assert.ok(/network_mode: host/.test(body) || /<<: \*weir/.test(body), `${name} is not on the host network`);
  }
  assert.match(compose, /^x-weir: &weir\n(?: {2}.*\n)* {2}network_mode: host$/m);
  assert.doesNotMatch(compose, /^networks:/m);
  assert.doesNotMatch(compose, /^ {4}ports:/m);
});
