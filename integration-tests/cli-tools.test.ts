// `weir topics`, `weir produce` and `weir tail` against the real broker: a topic created, records produced as
// JSON lines and key<TAB>value lines, and read back decoded with the serdes of a topology module, among them
// windowed keys and int64 keys that the topology itself wrote.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { join } from "node:path";
import { partitionForKey } from "../src/kafka/partitioner.ts";
import { deleteTopics } from "../src/kafka/tools.ts";
import { connection, root, StateDirs, uniqueName } from "./helpers/cluster.ts";

const created: string[] = [];
const stateDirs = new StateDirs();
after(async () => {
  if (created.length > 0) await deleteTopics(connection(), created);
  stateDirs.removeAll();
});

const module = "integration-tests/apps/cli-tools-outputs.ts";
const topicsOf = {
  CLI_TOOLS_INPUT_TOPIC: uniqueName("cli-tools-payments"),
  CLI_TOOLS_WINDOWED_TOPIC: uniqueName("cli-tools-windowed"),
  CLI_TOOLS_INT64_TOPIC: uniqueName("cli-tools-by-amount"),
};

const base = Math.floor(Date.now() / 60000) * 60000 - 10 * 60000;

interface Result {
  readonly code: number | string;
  readonly stdout: string[];
  readonly stderr: string;
}

/** Runs `weir <args>` to its exit, with `input` on stdin; killed by PID after `timeoutMs`. */
function weir(args: readonly string[], input = "", timeoutMs = 180_000): Promise<Result> {
  const child = spawn(process.execPath, [join(root, "src/cli/weir.ts"), ...args], { cwd: root, env: { ...process.env, ...topicsOf }, stdio: ["pipe", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  child.stdin.end(input);
  const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
  return new Promise((resolve) =>
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? signal ?? "unknown", stdout: stdout.split("\n").filter((l) => l.length > 0), stderr });
    }),
  );
}

interface Line {
  readonly partition: number;
  readonly offset: string;
  readonly timestamp: number;
  readonly key: unknown;
  readonly value: unknown;
}

const parse = (result: Result): Line[] => result.stdout.map((l) => JSON.parse(l) as Line);

test("a topic is created with its partitions, listed, and described", async () => {
  const name = uniqueName("cli-tools-plain");
  created.push(name);
  const create = await weir(["topics", "create", name, "--partitions", "2", "--config", "retention.ms=3600000"]);
  assert.equal(create.code, 0, create.stderr);
  assert.deepEqual(create.stdout, [`created\t${name}`]);
  const again = await weir(["topics", "create", name, "--partitions", "2"]);
  assert.deepEqual(again.stdout, [`exists \t${name}`]);
  const list = await weir(["topics", "list"]);
  assert.ok(list.stdout.includes(name), `${name} listed`);
  const describe = await weir(["topics", "describe", name]);
  assert.equal(describe.code, 0, describe.stderr);
  assert.equal(describe.stdout[0], `${name}\tpartitions=2\treplication=1\tretention.ms=3600000`);
  assert.equal(describe.stdout.length, 3);
});

test("records produced with the module's serdes are tailed back decoded, keyed ones in murmur2's partition", async () => {
  created.push(...Object.values(topicsOf));
  const create = await weir(["topics", "create", "--for", module, "--partitions", "2"]);
  assert.equal(create.code, 0, create.stderr);
  assert.deepEqual(new Set(create.stdout), new Set(Object.values(topicsOf).map((t) => `created\t${t}`)));

  // Ten minutes back, on a minute: recent enough for the broker's retention to keep the records.
  const input = [
    `{"key":"alice","value":{"amount":5},"timestamp":${base}}`,
    `{"key":"alice","value":{"amount":7},"timestamp":${base + 10000}}`,
    `{"key":"bob","value":{"amount":11},"timestamp":${base + 20000}}`,
    // key<TAB>value: the timestamp is the producer's clock, in a later window than all of the above.
    'alice\t{"amount":13}',
  ].join("\n");
  const produce = await weir(["produce", topicsOf.CLI_TOOLS_INPUT_TOPIC, "--module", module], input);
  assert.equal(produce.code, 0, produce.stderr);
  assert.match(produce.stderr, /wrote 4 records/);

  const tail = await weir(["tail", topicsOf.CLI_TOOLS_INPUT_TOPIC, "--module", module, "--from-beginning", "--max", "4"]);
  assert.equal(tail.code, 0, tail.stderr);
  const lines = parse(tail);
  assert.deepEqual(
    lines.map((l) => [l.key, l.value]).sort((a, b) => (a[1] as { amount: number }).amount - (b[1] as { amount: number }).amount),
    [["alice", { amount: 5 }], ["alice", { amount: 7 }], ["bob", { amount: 11 }], ["alice", { amount: 13 }]],
  );
  for (const l of lines) assert.equal(l.partition, partitionForKey(Buffer.from(l.key as string), 2), `${String(l.key)} in murmur2's partition`);
  assert.deepEqual(lines.filter((l) => l.timestamp < base + 60000).map((l) => l.timestamp - base).sort((a, b) => a - b), [0, 10000, 20000]);
});

test("windowed keys and int64 keys the topology wrote are tailed back decoded", async () => {
  const run = await weir(["run", module, "--until-end", "--http-port", "0", "--state-dir", stateDirs.create(), "--application-id", uniqueName("cli-tools-app")]);
  assert.equal(run.code, 0, run.stderr.split("\n").slice(-15).join("\n"));

  const windowed = await weir(["tail", topicsOf.CLI_TOOLS_WINDOWED_TOPIC, "--module", module, "--from-beginning", "--max", "4"]);
  assert.equal(windowed.code, 0, windowed.stderr);
  // Each count update in its window, per key in order: the last one per window is the window's count.
  const counts = new Map<string, number>();
  for (const l of parse(windowed).sort((a, b) => Number(a.offset) - Number(b.offset))) {
    const key = l.key as { key: string; window: { start: number; end: number } };
    assert.equal(key.window.end - key.window.start, 60000);
    counts.set(`${key.key}@${key.window.start}`, l.value as number);
  }
  assert.equal(counts.get(`alice@${base}`), 2);
  assert.equal(counts.get(`bob@${base}`), 1);
  const later = [...counts].filter(([k]) => k.startsWith("alice@") && k !== `alice@${base}`);
  assert.deepEqual(later.map(([, n]) => n), [1]);

  const byAmount = await weir(["tail", topicsOf.CLI_TOOLS_INT64_TOPIC, "--module", module, "--from-beginning", "--max", "4"]);
  assert.equal(byAmount.code, 0, byAmount.stderr);
  assert.deepEqual(
    parse(byAmount).map((l) => [l.key, l.value]).sort((a, b) => (a[0] as number) - (b[0] as number)),
    [[5, "alice"], [7, "alice"], [11, "bob"], [13, "alice"]],
  );
});
