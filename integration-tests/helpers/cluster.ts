// What every integration test needs: the real broker's address, unique topics that are deleted
// afterwards, and `weir run` child processes that the test stops by PID.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { createTopics, deleteTopics, type Connection } from "../../src/kafka/tools.ts";

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

/** Topics created for one test; `drop()` deletes them and any internal topics named after `applicationId`s. */
export class TestTopics {
  private readonly names: string[] = [];
  async create(prefix: string, partitions: number): Promise<string> {
    const name = uniqueName(prefix);
    await createTopics(connection(), [{ name, partitions }]);
    this.names.push(name);
    return name;
  }
  async drop(): Promise<void> {
    if (this.names.length > 0) await deleteTopics(connection(), this.names.splice(0));
  }
}

export interface WeirProcess {
  readonly child: ChildProcess;
  /** The last 256 KiB the process wrote to stderr (its JSON logs and error messages). */
  stderr(): string;
  /** Resolves with the exit code (or the signal's name) once the process exits, or rejects after `timeoutMs`. */
  exited(timeoutMs: number): Promise<number | string>;
}

const running = new Set<ChildProcess>();
// Should the test process exit without running its `after` hooks (an uncaught error), its children die with it.
process.on("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

/** Starts `weir <args>` as a child process with the broker's address and a private state dir. */
export function startWeir(args: readonly string[], env: Record<string, string> = {}): WeirProcess {
  const stateDir = mkdtempSync(join(tmpdir(), "weir-it-"));
  const child = spawn(process.execPath, [join(root, "src/cli/weir.ts"), ...args], {
    cwd: root,
    stdio: ["ignore", "ignore", "pipe"],
    env: { ...process.env, WEIR_STATE_DIR: stateDir, WEIR_LOG_LEVEL: "info", ...env },
  });
  running.add(child);
  // Only the tail is kept in memory: a chatty child must not be able to exhaust the test process.
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
    stderr = (stderr + chunk).slice(-256 * 1024);
  });
  const exit = new Promise<number | string>((resolveExit) =>
    child.once("exit", (code, signal) => {
      running.delete(child);
      rmSync(stateDir, { recursive: true, force: true });
      resolveExit(code ?? signal ?? "unknown");
    }),
  );
  return {
    child,
    stderr: () => stderr,
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
