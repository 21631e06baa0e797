// The examples' end-to-end check (issue 8): the same seeded input through `weir run` on the real broker
// and through the TopologyTestDriver must give the same committed output, key by key.
//
// Topics have one partition, so the one task of each sub-topology sees every record in the order the
// driver does and their stream times agree (windows close at the same records). Outputs are compared
// per topic and per key as the sequence of (value, timestamp): the order across keys may differ between
// sub-topologies, the order within a key may not.
import assert from "node:assert/strict";
import { createTopics, readTopic, TopicWriter, type RecordToWrite } from "../../src/kafka/tools.ts";
import type { ConsumedRecord } from "../../src/kafka/types.ts";
import { serdes } from "../../src/serdes/serde.ts";
import { TopologyTestDriver } from "../../src/testing/topology-test-driver.ts";
import type { Topology } from "../../src/topology/topology.ts";
import { connection, startWeir, uniqueName, type WeirProcess } from "./cluster.ts";

export interface ExampleSpec {
  /** The example's name (for topic and application names); run as `weir run topologies/<example>` unless `module` says otherwise. */
  readonly example: string;
  /** The module `weir run` loads, relative to the repository; default `topologies/<example>`. */
  readonly module?: string;
  /** The example's topics by logical name (e.g. `input`, `alerts`), each with the env var naming it for the app. */
  readonly topics: Readonly<Record<string, { readonly env: string }>>;
  /** The input records by logical topic name, written (and piped into the driver) topic by topic, in this order. */
  readonly inputs: readonly { readonly topic: string; readonly records: readonly RecordToWrite[] }[];
  /** Logical names of the output topics to compare. */
  readonly outputs: readonly string[];
  /** Builds the example's topology for the real topic names (by logical name), as its app.ts does. */
  readonly topology: (topics: Readonly<Record<string, string>>) => Topology;
  /** Extra environment for `weir run` (the application id and topic env vars are set here). */
  readonly env?: Readonly<Record<string, string>>;
  /** Called while the app is still running, after every output arrived (e.g. interactive queries). */
  readonly whileRunning?: (app: WeirProcess, topics: Readonly<Record<string, string>>) => Promise<void>;
  /** How long the broker run may take to produce every expected record; default 120 s. */
  readonly timeoutMs?: number;
  /**
   * A second `weir run` after the first stopped, on a fresh state directory (so every store is restored from
   * its changelog), with more input: the outputs must then equal the driver's on all the input, first and
   * second, so a result emitted twice or lost across the restart fails the comparison.
   */
  readonly restart?: {
    readonly inputs: readonly { readonly topic: string; readonly records: readonly RecordToWrite[] }[];
    /** Called while the second run is still running, after every output arrived (e.g. its restore logs). */
    readonly whileRunning?: (app: WeirProcess, topics: Readonly<Record<string, string>>) => Promise<void>;
  };
}

export interface ExampleResult {
  /** Per logical output topic, the records the driver wrote (what the broker run matched), for all the input. */
  readonly driver: ReadonlyMap<string, readonly OutputRecord[]>;
  readonly topics: Readonly<Record<string, string>>;
}

export interface OutputRecord {
  readonly key: string | null;
  readonly value: string | null;
  readonly timestamp: number;
}

/** Runs the example both ways and asserts equal outputs; returns the driver's, for further checks. */
export async function expectBrokerMatchesDriver(spec: ExampleSpec, created: string[] = []): Promise<ExampleResult> {
  const topics = Object.fromEntries(Object.keys(spec.topics).map((logical) => [logical, uniqueName(`${spec.example}-${logical}`)]));
  // retention.ms -1: generated event times may be hours old; the broker must not delete them.
  await createTopics(connection(), Object.values(topics).map((name) => ({ name, partitions: 1, config: { "retention.ms": "-1" } })));
  created.push(...Object.values(topics));

  const expected = runDriver(spec, topics, spec.inputs);
  const total = [...expected.values()].reduce((n, records) => n + records.length, 0);
  assert.ok(total > 0, `the driver produced no output for ${spec.example}: the input exercises nothing`);

  const applicationId = uniqueName(`${spec.example}-it`);
  const env: Record<string, string> = { WEIR_APPLICATION_ID: applicationId, WEIR_COMMIT_INTERVAL_MS: "200", ...spec.env };
  for (const [logical, { env: variable }] of Object.entries(spec.topics)) env[variable] = topics[logical]!;
  await runOnBroker(spec, topics, env, spec.inputs, expected, spec.whileRunning);
  if (!spec.restart) return { driver: expected, topics };

  // startWeir gives each run a fresh state directory: the second restores every store from its changelog.
  const all = runDriver(spec, topics, [...spec.inputs, ...spec.restart.inputs]);
  await runOnBroker(spec, topics, env, spec.restart.inputs, all, spec.restart.whileRunning);
  return { driver: all, topics };
}

/** Writes `inputs`, runs the app until every output topic holds what `expected` says, then stops it. */
async function runOnBroker(
  spec: ExampleSpec,
  topics: Readonly<Record<string, string>>,
  env: Record<string, string>,
  inputs: ExampleSpec["inputs"],
  expected: ReadonlyMap<string, readonly OutputRecord[]>,
  whileRunning: ExampleSpec["whileRunning"],
): Promise<void> {
  const writer = new TopicWriter(connection());
  await writer.connect();
  try {
    for (const input of inputs) await writer.write(topics[input.topic]!, input.records);
  } finally {
    await writer.close();
  }
  const app = startWeir(["run", spec.module ?? `topologies/${spec.example}`], env);
  try {
    for (const logical of spec.outputs) {
      const want = expected.get(logical)!;
      const actual = await readAll(topics[logical]!, want.length, spec.timeoutMs ?? 120_000);
      assert.deepEqual(
        byKey(actual.map(toOutput)),
        byKey(want),
        `${spec.example}: output topic "${logical}" differs from the TopologyTestDriver's (${actual.length} records vs ${want.length}); app stderr tail:\n${app.stderr().slice(-2000)}`,
      );
    }
    if (whileRunning) await whileRunning(app, topics);
  } finally {
    app.child.kill("SIGTERM");
    await app.exited(30_000).catch(() => app.child.kill("SIGKILL"));
  }
}

function runDriver(spec: ExampleSpec, topics: Readonly<Record<string, string>>, inputs: ExampleSpec["inputs"]): Map<string, OutputRecord[]> {
  const driver = new TopologyTestDriver(spec.topology(topics), { applicationId: `${spec.example}-driver` });
  try {
    for (const input of inputs) {
      const pipe = driver.createInputTopic(topics[input.topic]!, serdes.bytes(), serdes.bytes());
      for (const r of input.records) pipe.pipeInput(bytes(r.key), bytes(r.value), r.timestamp, headersOf(r));
    }
    const out = new Map<string, OutputRecord[]>();
    for (const logical of spec.outputs) {
      const read = driver.createOutputTopic(topics[logical]!, serdes.bytes(), serdes.bytes()).readRecordsToList();
      out.set(logical, read.map((r) => ({ key: r.key?.toString("utf8") ?? null, value: r.value?.toString("utf8") ?? null, timestamp: r.timestamp })));
    }
    return out;
  } finally {
    driver.close();
  }
}

/** Reads the topic until `count` records arrived, then once more after a quiet spell: extra records fail the comparison. */
async function readAll(topic: string, count: number, timeoutMs: number): Promise<ConsumedRecord[]> {
  const first = await readTopic(connection(), topic, { count, timeoutMs });
  if (first.length < count) return first;
  return readTopic(connection(), topic, { timeoutMs: 3000 });
}

function toOutput(r: ConsumedRecord): OutputRecord {
  return { key: r.key?.toString("utf8") ?? null, value: r.value?.toString("utf8") ?? null, timestamp: r.timestamp };
}

function byKey(records: readonly OutputRecord[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const r of records) (out[r.key ?? "<null>"] ??= []).push(`${r.timestamp} ${r.value ?? "<tombstone>"}`);
  return out;
}

function bytes(data: Buffer | string | null): Buffer | null {
  return data === null ? null : typeof data === "string" ? Buffer.from(data) : data;
}

function headersOf(r: RecordToWrite): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  for (const [name, value] of Object.entries(r.headers ?? {})) {
    if (value !== undefined && value !== null) out[name] = Buffer.isBuffer(value) ? value : Buffer.from(String(value));
  }
  return out;
}
