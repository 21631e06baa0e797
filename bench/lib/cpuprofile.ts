// Summarizes a V8 .cpuprofile (node --cpu-prof): self time per function, largest first.
import { readFileSync } from "node:fs";

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
  readonly hitCount?: number;
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly startTime: number;
  readonly endTime: number;
  readonly samples?: readonly number[];
  readonly timeDeltas?: readonly number[];
}

export interface SelfTime {
  readonly fn: string;
  readonly where: string;
  readonly ms: number;
  readonly pct: number;
}

export function selfTimes(path: string, root: string): { totalMs: number; top: SelfTime[] } {
  const profile = JSON.parse(readFileSync(path, "utf8")) as CpuProfile;
  const byNode = new Map(profile.nodes.map((n) => [n.id, n]));
  // Each sample's time is the delta to the next one; summing per node gives its self time.
  const selfUs = new Map<number, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  for (let i = 0; i < samples.length; i++) selfUs.set(samples[i]!, (selfUs.get(samples[i]!) ?? 0) + (deltas[i + 1] ?? 0));
  const byFunction = new Map<string, { fn: string; where: string; us: number }>();
  let totalUs = 0;
  for (const [id, us] of selfUs) {
    const { functionName, url, lineNumber } = byNode.get(id)!.callFrame;
    const file = url.replace(`file://${root}/`, "").replace(/^file:\/\//, "");
    const where = file ? `${file}:${lineNumber + 1}` : "(native)";
    const fn = functionName || "(anonymous)";
    const key = `${fn}@${where}`;
    const entry = byFunction.get(key) ?? { fn, where, us: 0 };
    entry.us += us;
    byFunction.set(key, entry);
    totalUs += us;
  }
  const top = [...byFunction.values()]
    .sort((a, b) => b.us - a.us)
    .map((e) => ({ fn: e.fn, where: e.where, ms: e.us / 1000, pct: totalUs > 0 ? (e.us / totalUs) * 100 : 0 }));
  return { totalMs: totalUs / 1000, top };
}

/** Where busy CPU went, by who asked for it (see `cpuSplit`). */
export interface CpuSplit {
  /** Busy time sampled (idle left out), ms. */
  readonly busyMs: number;
  readonly idleMs: number;
  /** Category → ms of busy time. */
  readonly ms: Readonly<Record<SplitCategory, number>>;
}

export type SplitCategory = "client" | "weir" | "weirKafkaAdapter" | "sqlite" | "app" | "otherLibraries" | "gc" | "node";

export const splitLabels: Readonly<Record<SplitCategory, string>> = {
  client: "client library",
  weir: "Weir (src/, adapter excluded)",
  weirKafkaAdapter: "Weir's client adapter (src/kafka/)",
  sqlite: "SQLite (better-sqlite3)",
  app: "topology functions (bench/workloads/)",
  otherLibraries: "other libraries (pino, prom-client, …)",
  gc: "V8 GC",
  node: "Node/V8, unattributed",
};

const clientPackages = [
  "kafkajs/",
  "@platformatic/kafka/",
  "@platformatic/dynamic-buffer/",
  "@platformatic/wasm-utils/",
  "@node-rs/crc32",
  "mnemonist/",
  "fastq/",
  "scule/",
  "debug/",
];

/** Weir's thin wrappers around prepared statements: their own time is SQLite's. */
const sqliteStatementFrame = /\/src\/state\/([a-z-]+-table|transaction)\.ts$/;

/**
 * The source file of a script of this checkout: the bench runs the built package (dist/*.js) and the compiled
 * workloads (bench/.build/workloads/*.js), which are split as their sources (src/*.ts, bench/workloads/*.ts).
 */
function sourceUrl(url: string, root: string): string {
  for (const [built, source] of [["dist/", "src/"], ["bench/.build/workloads/", "bench/workloads/"]] as const) {
    const prefix = `file://${root}/${built}`;
    if (url.startsWith(prefix) && url.endsWith(".js")) return `file://${root}/${source}${url.slice(prefix.length, -3)}.ts`;
  }
  return url;
}

/** The category of a frame by its script, or undefined for native code and Node's own modules. */
function frameCategory(url: string, root: string): SplitCategory | undefined {
  if (!url || url.startsWith("node:")) return undefined;
  const file = sourceUrl(url, root).replace(/^file:\/\//, "");
  const nm = file.lastIndexOf("/node_modules/");
  if (nm >= 0) {
    const pkg = file.slice(nm + "/node_modules/".length);
    if (clientPackages.some((p) => pkg.startsWith(p))) return "client";
    if (pkg.startsWith("better-sqlite3/")) return "sqlite";
    return "otherLibraries";
  }
  const rel = file.startsWith(`${root}/`) ? file.slice(root.length + 1) : file;
  if (rel.startsWith("src/kafka/")) return "weirKafkaAdapter";
  if (rel.startsWith("src/")) return "weir";
  if (rel.startsWith("bench/workloads/")) return "app";
  return undefined;
}

/**
 * Splits a profile's busy time by who asked for it: each sample goes to the category of the nearest frame on
 * its stack that is a script of the client library, Weir (src/), better-sqlite3 or another package, so a
 * `Buffer` copy or a native call counts for the code that made it. Native calls made from Weir's state layer
 * (src/state/) are better-sqlite3's statements and count as SQLite, and so does the self time of the state layer's
 * SQL wrappers (src/state/*-table.ts, transaction.ts): V8 charges a native call's time to the JS function that
 * made it, and those functions do little else than run a prepared statement. Samples with no such frame are Node/V8's
 * own (socket reads, timers, "(program)"); "(garbage collector)" is GC; "(idle)" is left out of busy time.
 */
export function cpuSplit(path: string, root: string): CpuSplit {
  const profile = JSON.parse(readFileSync(path, "utf8")) as CpuProfile & { nodes: readonly (ProfileNode & { children?: readonly number[] })[] };
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const byNode = new Map(profile.nodes.map((n) => [n.id, n]));
  const categoryOf = new Map<number, SplitCategory | "idle">();
  const resolve = (id: number): SplitCategory | "idle" => {
    const known = categoryOf.get(id);
    if (known) return known;
    const node = byNode.get(id)!;
    const { functionName, url } = node.callFrame;
    let category: SplitCategory | "idle";
    if (functionName === "(idle)") category = "idle";
    else if (functionName === "(garbage collector)") category = "gc";
    else {
      let found: SplitCategory | undefined = sqliteStatementFrame.test(sourceUrl(url, root)) ? "sqlite" : undefined;
      let native = !url;
      for (let at: number | undefined = id; at !== undefined && !found; at = parent.get(at)) {
        const frame = byNode.get(at)!.callFrame;
        found = frameCategory(frame.url, root);
        if (found === "weir" && native && sourceUrl(frame.url, root).includes("/src/state/")) found = "sqlite";
        if (frame.url) native = false;
      }
      category = found ?? "node";
    }
    categoryOf.set(id, category);
    return category;
  };
  const ms: Record<SplitCategory, number> = { client: 0, weir: 0, weirKafkaAdapter: 0, sqlite: 0, app: 0, otherLibraries: 0, gc: 0, node: 0 };
  let idleMs = 0;
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  for (let i = 0; i < samples.length; i++) {
    const t = (deltas[i + 1] ?? 0) / 1000;
    const c = resolve(samples[i]!);
    if (c === "idle") idleMs += t;
    else ms[c] += t;
  }
  const busyMs = Object.values(ms).reduce((a, b) => a + b, 0);
  return { busyMs, idleMs, ms };
}
