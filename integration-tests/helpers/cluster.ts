// What every integration test needs: the real broker's address, unique topics that are deleted
// afterwards, and `weir run` child processes that the test stops by PID.
import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { createWriteStream, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { createTopics, deleteTopics, readTopic, type Connection } from "../../src/kafka/tools.ts";
import type { ConsumedRecord } from "../../src/kafka/types.ts";

export const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

/** The broker `make test` started (or yours); a test without one fails saying so, it is never skipped. */
export function connection(): Connection {
  const bootstrap = process.env.KAFKA_BOOTSTRAP_SERVERS;
  if (!bootstrap) {
    throw new Error("KAFKA_BOOTSTRAP_SERVERS is not set: run integration tests with `make test` (it starts a local broker) or point the variable at a broker");
  }
  const brokers = bootstrap.split(",");
  for (const b of brokers) {
    const host = b.split(":")[0] ?? "";
    if (!/^(127\.\d+\.\d+\.\d+|localhost|\[::1\])$/.test(host)) {
      throw new Error(`integration tests only talk to loopback brokers; KAFKA_BOOTSTRAP_SERVERS has ${b}`);
    }
  }
  return { brokers };
}

export function schemaRegistryUrl(): string {
  const url = process.env.SCHEMA_REGISTRY_URL;
  if (!url) throw new Error("SCHEMA_REGISTRY_URL is not set: run integration tests with `make test` (it starts a local schema registry)");
  return url;
}

export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}

/** Topics created for one test; `drop()` deletes them and the internal topics registered with `adopt`. */
export class TestTopics {
  private readonly names: string[] = [];
  private readonly adopted: string[] = [];
  async create(prefix: string, partitions: number): Promise<string> {
    const name = uniqueName(prefix);
    await createTopics(connection(), [{ name, partitions }]);
    this.names.push(name);
    return name;
  }
  /**
   * Deletes `name` in `drop()` too: an internal topic the app under test creates (`<applicationId>-<store>-changelog`),
   * which may not exist when the app failed early.
   */
  adopt(name: string): string {
    this.adopted.push(name);
    return name;
  }
  async drop(): Promise<void> {
    const adopted = this.adopted.splice(0);
    // tools.ts lists no topics, and kafkajs retries a delete of an absent topic for seconds before failing: so an
    // adopted topic the app never created is created here (a no-op for one that exists) and deleted with the rest.
    if (adopted.length > 0) await createTopics(connection(), adopted.map((name) => ({ name, partitions: 1 })));
    const all = [...this.names.splice(0), ...adopted];
    if (all.length > 0) await deleteTopics(connection(), all);
  }
}

/** State dirs a test keeps across restarts of an instance; `removeAll()` deletes them. Call it from `after`. */
export class StateDirs {
  private readonly dirs: string[] = [];
  create(): string {
    const dir = mkdtempSync(join(tmpdir(), "weir-it-state-"));
    this.dirs.push(dir);
    return dir;
  }
  removeAll(): void {
    for (const dir of this.dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  }
}

/** One pino line of a child's stderr. */
export interface WeirLogLine {
  readonly msg?: string;
  readonly level?: number;
  readonly [field: string]: unknown;
}

export interface WeirProcess {
  readonly child: ChildProcess;
  /** The state dir the process was given (`WEIR_STATE_DIR`). */
  readonly stateDir: string;
  /** The last 256 KiB the process wrote to stderr (its JSON logs and error messages). */
  stderr(): string;
  /** The JSON log lines of stderr parsed so far (the newest 20,000; lines that are not JSON are skipped), optionally only those with `msg`. */
  logs(msg?: string): WeirLogLine[];
  /** True until the process exits. */
  running(): boolean;
  /** Resolves with the exit code (or the signal's name) once the process exits, or rejects after `timeoutMs`. */
  exited(timeoutMs: number): Promise<number | string>;
}

const running = new Set<ChildProcess>();
// Should the test process exit without running its `after` hooks (an uncaught error), its children die with it.
process.on("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

export interface StartOptions {
  /**
   * A state dir the test owns (see `StateDirs`): it is kept when the process exits, so that another process
   * can start on the same state. Without it each process gets a private dir that is deleted when it exits.
   */
  readonly stateDir?: string;
}

const maxLogLines = 20_000;

/** Starts `weir <args>` as a child process with the broker's address and a state dir. */
export function startWeir(args: readonly string[], env: Record<string, string> = {}, options: StartOptions = {}): WeirProcess {
  const ownsStateDir = options.stateDir === undefined;
  const stateDir = options.stateDir ?? mkdtempSync(join(tmpdir(), "weir-it-"));
  const child = spawn(process.execPath, [join(root, "src/cli/weir.ts"), ...args], {
    cwd: root,
    stdio: ["ignore", "ignore", "pipe"],
    // Port 0: every instance gets a free port, so several can run side by side; a test may pass its own.
    env: { ...process.env, WEIR_STATE_DIR: stateDir, WEIR_LOG_LEVEL: "info", WEIR_HTTP_PORT: "0", WEIR_HTTP_HOST: "127.0.0.1", ...env },
  });
  running.add(child);
  // Only the tail is kept in memory: a chatty child must not be able to exhaust the test process.
  let stderr = "";
  let partialLine = "";
  const logLines: WeirLogLine[] = [];
  // WEIR_TEST_LOG_DIR keeps every child's whole stderr on disk, one file per PID, for post-mortems.
  const logDir = process.env.WEIR_TEST_LOG_DIR;
  if (logDir) {
    mkdirSync(logDir, { recursive: true });
    child.stderr.pipe(createWriteStream(join(logDir, `weir-${child.pid}.log`)));
  }
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
    stderr = (stderr + chunk).slice(-256 * 1024);
    const lines = (partialLine + chunk).split("\n");
    partialLine = (lines.pop() ?? "").slice(-64 * 1024);
    for (const line of lines) {
      const parsed = parseLogLine(line);
      if (parsed) logLines.push(parsed);
    }
    if (logLines.length > maxLogLines) logLines.splice(0, logLines.length - maxLogLines);
  });
  child.once("exit", () => running.delete(child));
  // "close", not "exit": it comes once stderr is drained too, so `stderr()` and `logs()` are whole by then.
  const exit = new Promise<number | string>((resolveExit) =>
    child.once("close", (code, signal) => {
      if (ownsStateDir) rmSync(stateDir, { recursive: true, force: true });
      resolveExit(code ?? signal ?? "unknown");
    }),
  );
  return {
    child,
    stateDir,
    stderr: () => stderr,
    logs: (msg) => (msg === undefined ? [...logLines] : logLines.filter((l) => l.msg === msg)),
    running: () => child.exitCode === null && child.signalCode === null,
    exited: (timeoutMs) =>
      Promise.race([
        exit,
        new Promise<never>((_, reject) => {
          const timer = setTimeout(() => reject(new Error(`weir ${args.join(" ")} did not exit within ${timeoutMs} ms; stderr:\n${stderr.slice(-4000)}`)), timeoutMs);
          void exit.finally(() => clearTimeout(timer));
        }),
      ]),
  };
}

function parseLogLine(line: string): WeirLogLine | undefined {
  if (!line.startsWith("{")) return undefined;
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as WeirLogLine) : undefined;
  } catch {
    return undefined;
  }
}

/** The runtime's `"restore done"` log line: one per store of a task each time the task is restored. */
export interface RestoreDone {
  readonly task: string;
  readonly store: string;
  /** Changelog records replayed. */
  readonly restored: number;
  /** The checkpoint the replay started from (decimal string). */
  readonly fromOffset: string;
  /** The changelog's end when the replay started (decimal string). */
  readonly toOffset: string;
  /** The SQLite file was missing or corrupt and was rebuilt from the changelog's beginning. */
  readonly rebuilt: boolean;
}

/** Every `"restore done"` line the process logged; a line without the documented fields fails the test, naming it. */
export function restoresLogged(weir: WeirProcess): RestoreDone[] {
  return weir.logs("restore done").map((line) => {
    const { task, store, restored, fromOffset, toOffset, rebuilt } = line;
    if (
      typeof task !== "string" ||
      typeof store !== "string" ||
      typeof restored !== "number" ||
      typeof fromOffset !== "string" ||
      !/^\d+$/.test(fromOffset) ||
      typeof toOffset !== "string" ||
      !/^\d+$/.test(toOffset) ||
      typeof rebuilt !== "boolean"
    ) {
      throw new Error(`a "restore done" log line lacks task, store, restored, fromOffset, toOffset or rebuilt: ${JSON.stringify(line)}`);
    }
    return { task, store, restored, fromOffset, toOffset, rebuilt };
  });
}

/**
 * Reads a whole topic (read_committed) once it holds at least `count` records or `timeoutMs` passed, then
 * again after `quietMs` without a new record, to see records past `count` too (a duplicate is one). Returns
 * the second read, which a slow group join cannot make shorter than the first: it is retried then.
 */
export async function readSettled(topic: string, count: number, timeoutMs: number, quietMs = 3000): Promise<ConsumedRecord[]> {
  const first = await readTopic(connection(), topic, { count, timeoutMs });
  for (let attempt = 1; ; attempt++) {
    const settled = await readTopic(connection(), topic, { timeoutMs: quietMs });
    if (settled.length >= first.length || attempt === 3) return settled.length >= first.length ? settled : first;
  }
}

/** Kills, by PID, every `weir` child a test started and did not see exit. Call from `after`. */
export async function killAll(): Promise<void> {
  const waits = [...running].map((child) => {
    const gone = new Promise((r) => child.once("exit", r));
    child.kill("SIGKILL");
    return gone;
  });
  await Promise.all(waits);
}

/** Waits until `condition` is true, polling; fails with `what` after `timeoutMs`. */
export async function eventually(what: string, timeoutMs: number, condition: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** A TCP port free on 127.0.0.1 right now, for a child's `WEIR_HTTP_PORT` when the test must know it in advance. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => server.once("error", reject).listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (typeof address !== "object" || address === null) throw new Error("could not learn a free port");
  return address.port;
}
