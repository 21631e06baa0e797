// Runs the Kafka Streams peer (bench/peers/kafka-streams, built by `make bench` into the cache) on one
// workload; it prints one JSON line with its own start and end (see BenchApp.java).
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startChild, tailOf, type ChildRun } from "../lib/child.ts";
import type { Measurement } from "../lib/measure.ts";
import { repoRoot } from "../lib/weir.ts";

export function kafkaStreamsBuildDir(): string {
  return process.env.BENCH_KAFKA_STREAMS_DIR ?? join(process.env.WEIR_CACHE_DIR ?? join(repoRoot, ".cache"), "bench-kafka-streams");
}

export function kafkaStreamsAvailable(): boolean {
  return existsSync(join(kafkaStreamsBuildDir(), "bench-kafka-streams.jar"));
}

/** WEIR_STATESTORE_CACHE_MAX_BYTES when set: Kafka Streams then runs with the same statestore.cache.max.bytes. */
export function statestoreCacheMaxBytes(): string | undefined {
  const raw = process.env.WEIR_STATESTORE_CACHE_MAX_BYTES?.trim();
  return raw === undefined || raw === "" ? undefined : raw;
}

export interface KafkaStreamsOptions {
  readonly workload: "w1" | "w2" | "w3" | "w4" | "w6" | "w7" | "w8";
  readonly guarantee: "exactly_once" | "at_least_once";
  readonly brokers: readonly string[];
  readonly appId: string;
  readonly input: string;
  readonly output: string;
  readonly continuous?: boolean;
  /** The consumer's session.timeout.ms (W7 and W8 set Weir's to the same); Kafka Streams' default when unset. */
  readonly sessionTimeoutMs?: number;
  /** num.standby.replicas; Kafka Streams' default (0) when unset. */
  readonly standbyReplicas?: number;
  /** statestore.cache.max.bytes; WEIR_STATESTORE_CACHE_MAX_BYTES when unset, else Kafka Streams' default (10 MB). */
  readonly cacheMaxBytes?: number;
}

export function startKafkaStreams(options: KafkaStreamsOptions): { run: ChildRun; cleanup: () => void } {
  const dir = kafkaStreamsBuildDir();
  const stateDir = mkdtempSync(join(tmpdir(), "kstreams-bench-"));
  const cacheMaxBytes = options.cacheMaxBytes?.toString() ?? statestoreCacheMaxBytes();
  const run = startChild("java", [
    "-Xms256m",
    "-Xmx1g",
    "-cp",
    `${join(dir, "bench-kafka-streams.jar")}:${join(dir, "lib")}/*`,
    "dev.weir.bench.BenchApp",
    `workload=${options.workload}`,
    `guarantee=${options.guarantee}`,
    `bootstrap=${options.brokers.join(",")}`,
    `appId=${options.appId}`,
    `input=${options.input}`,
    `output=${options.output}`,
    `stateDir=${stateDir}`,
    `mode=${options.continuous ? "continuous" : "bounded"}`,
    ...(options.sessionTimeoutMs === undefined ? [] : [`sessionTimeoutMs=${options.sessionTimeoutMs}`]),
    ...(options.standbyReplicas === undefined ? [] : [`standbyReplicas=${options.standbyReplicas}`]),
    // The record cache as Weir's (statestoreCacheMaxBytes, inherited by Weir's children): one setting for both.
    ...(cacheMaxBytes === undefined ? [] : [`cacheMaxBytes=${cacheMaxBytes}`]),
  ]);
  return { run, cleanup: () => rmSync(stateDir, { recursive: true, force: true }) };
}

/** A bounded run (W1–W3: running until the input is committed; W4: the restore; W6: the restore, then the input counted: the restore's figures). */
export async function runKafkaStreams(options: KafkaStreamsOptions, timeoutMs: number): Promise<Measurement> {
  const { run, cleanup } = startKafkaStreams(options);
  try {
    const code = await run.exited(timeoutMs);
    const line = run.stdout.find((l) => l.startsWith("{\"launchedMs\""));
    if (code !== 0 || !line) throw new Error(`Kafka Streams exited with ${code}:\n${tailOf(run)}`);
    const r = JSON.parse(line) as { startMs: number; endMs: number; records: number };
    return { records: r.records, ms: r.endMs - r.startMs, peakRssBytes: run.peakRss(), cpuMs: run.cpuMs(), peakSockets: run.peakSockets() };
  } finally {
    cleanup();
  }
}
