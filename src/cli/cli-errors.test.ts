// Spawns `weir` on faulty modules and dead addresses: each error names the fault and exits as the README says.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const weir = fileURLToPath(new URL("./weir.ts", import.meta.url));
const weirIndex = pathToFileURL(fileURLToPath(new URL("../index.ts", import.meta.url))).href;
let dir: string;

function weirEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, ...extra };
  return env;
}

function run(args: string[], extra: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [weir, ...args], { env: weirEnv(extra), timeout: 120000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === "number" ? error.code : -1) : 0, stdout, stderr });
    });
  });
}

function moduleFile(name: string, source: string): string {
  const file = join(dir, name);
  writeFileSync(file, source.replaceAll("WEIR", weirIndex));
  return file;
}

const goodModule = `import { StreamsBuilder, app, serdes } from "WEIR";
const b = new StreamsBuilder();
b.stream("in", { key: serdes.string(), value: serdes.json() }).to("out", { key: serdes.string(), value: serdes.json() });
export default app({ applicationId: "cli-errors", topology: b.build() });
`;

function listening(server: Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve((server.address() as { port: number }).port)));
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), "weir-cli-errors-"));
});
after(() => rmSync(dir, { recursive: true, force: true }));

test("a module that throws at load names its file, line and source line, and exits 2", async () => {
  const file = moduleFile("throws.ts", `import { app } from "WEIR";\nconst settings = JSON.parse("");\nexport default app(settings);\n`);
  const { code, stderr } = await run(["describe", file]);
  assert.equal(code, 2);
  assert.match(stderr, new RegExp(`${file} failed to load: SyntaxError: Unexpected end of JSON input\\n    at ${file}:2:\\d+\\n    2 \\| const settings = JSON.parse\\(""\\);`));
});

test("a syntax error names the file and line, and exits 2", async () => {
  const file = moduleFile("syntax.ts", `import { app } from "WEIR";\n\nconst x: number = 1 +;\nexport default app(x);\n`);
  const { code, stderr } = await run(["describe", file]);
  assert.equal(code, 2);
  assert.match(stderr, new RegExp(`${file} failed to load: SyntaxError: .+\\n    at ${file}:3\\n    3 \\| const x: number = 1 \\+;`));
});

test("a module without a default app names what it exports, and exits 2", async () => {
  const file = moduleFile("no-default.ts", `export const topology = 1;\n`);
  const { code, stderr } = await run(["describe", file]);
  assert.equal(code, 2);
  assert.match(stderr, /must `export default app\(\{ applicationId, topology, … \}\)`; it exports topology/);
});

test("to() without serdes is a DSL error at the user's line, not a TypeError inside Weir, and exits 2", async () => {
  const file = moduleFile(
    "to-without-serdes.js",
    `import { StreamsBuilder, app, serdes } from "WEIR";\nconst b = new StreamsBuilder();\nconst s = b.stream("in", { key: serdes.string(), value: serdes.json() });\ns.to("out");\nexport default app({ applicationId: "x", topology: b.build() });\n`,
  );
  const { code, stderr } = await run(["describe", file]);
  assert.equal(code, 2);
  assert.match(stderr, /TopologyError: to\("out"\) after KSTREAM-SOURCE-\d+ needs the \{ key, value \} serdes/);
  assert.match(stderr, new RegExp(`    at ${file}:4:3\\n    4 \\| s.to\\("out"\\);`));
  assert.doesNotMatch(stderr, /Cannot read properties/);
});

test("a topology build() refuses names the user's line, and exits 2", async () => {
  const file = moduleFile("no-source.ts", `import { StreamsBuilder, app } from "WEIR";\nconst b = new StreamsBuilder();\nexport default app({ applicationId: "x", topology: b.build() });\n`);
  const { code, stderr } = await run(["describe", file]);
  assert.equal(code, 2);
  assert.match(stderr, new RegExp(`TopologyError: the topology has no source.*\\n    at ${file}:3:\\d+`));
});

test("a dead bootstrap address is one line saying how to start a local broker, and exits 1 after startupTimeoutMs", async () => {
  const probe = createServer();
  const port = await listening(probe);
  await new Promise((resolve) => probe.close(resolve));
  const file = moduleFile("good.ts", goodModule);
  // Error level: the retries' warnings (broker-wait.test.ts) are left out, so the failure is the only line.
  const { code, stderr } = await run(["run", file, "--bootstrap-servers", `127.0.0.1:${port}`, "--http-port", "0"], { WEIR_STARTUP_TIMEOUT_MS: "1000", WEIR_LOG_LEVEL: "error" });
  assert.equal(code, 1);
  assert.deepEqual(stderr.trim().split("\n"), [
    `weir: WEIR_BROKER_UNREACHABLE: no Kafka broker at 127.0.0.1:${port} (127.0.0.1:${port}: ECONNREFUSED), retried with backoff for startupTimeoutMs (1000 ms): ` +
      'start a local one with `eval "$(weir dev)"` (or `make broker` in Weir\'s checkout), or point --bootstrap-servers / KAFKA_BOOTSTRAP_SERVERS at yours',
  ]);
});

test("an HTTP port in use suggests --http-port and WEIR_HTTP_PORT=0, and exits 2", async () => {
  // The taken port; and a listener standing in for the broker's address (the HTTP server starts before the broker is waited for).
  const taken = createServer();
  const takenPort = await listening(taken);
  const broker = createServer((socket) => socket.destroy());
  const brokerPort = await listening(broker);
  try {
    const file = moduleFile("good.ts", goodModule);
    const { code, stderr } = await run(["run", file, "--http-port", String(takenPort)], { KAFKA_BOOTSTRAP_SERVERS: `127.0.0.1:${brokerPort}`, WEIR_LOG_LEVEL: "error" });
    assert.equal(code, 2);
    assert.match(stderr, new RegExp(`the HTTP server cannot listen on 127\\.0\\.0\\.1:${takenPort}: the address is in use .*pass --http-port <port>, or --http-port 0 / WEIR_HTTP_PORT=0`));
  } finally {
    taken.close();
    broker.close();
  }
});

test("an unknown WEIR_ variable is a warning naming the nearest known one; the command still runs", async () => {
  const file = moduleFile("good.ts", goodModule);
  const { code, stdout, stderr } = await run(["describe", file], { WEIR_HTTP_PROT: "0" });
  assert.equal(code, 0);
  assert.match(stdout, /Sub-topology/i);
  assert.equal(stderr, "weir: warning: WEIR_HTTP_PROT is not a Weir variable and is ignored; did you mean WEIR_HTTP_PORT?\n");
});

test("weir --version prints the version of package.json", async () => {
  const { version } = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };
  const { code, stdout } = await run(["--version"]);
  assert.equal(code, 0);
  assert.equal(stdout, `${version}\n`);
});

test("--workers: a bad count names the setting, from the flag or WEIR_WORKERS, and exits 2", async () => {
  const file = moduleFile("good.ts", goodModule);
  const bad = await run(["run", file, "--workers", "zero", "--bootstrap-servers", "127.0.0.1:1"]);
  assert.equal(bad.code, 2, bad.stderr);
  assert.match(bad.stderr, /--workers: a whole number of worker processes from 1 to 64, got "zero"/);
  const fromEnv = await run(["run", file, "--bootstrap-servers", "127.0.0.1:1"], { WEIR_WORKERS: "0" });
  assert.equal(fromEnv.code, 2, fromEnv.stderr);
  assert.match(fromEnv.stderr, /WEIR_WORKERS: a whole number/);
});

test("--workers 2 with a module that fails to load fails once, before any worker starts, and exits 2", async () => {
  const file = moduleFile("throws-workers.ts", `throw new Error("boom at load");\n`);
  const result = await run(["run", file, "--workers", "2", "--bootstrap-servers", "127.0.0.1:1"]);
  assert.equal(result.code, 2, result.stderr);
  assert.doesNotMatch(result.stderr, /worker started/);
});
