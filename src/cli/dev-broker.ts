// `weir dev`: a local single-node Kafka broker for trying an app, through the package's scripts/kafka.sh
// (Kafka's jars from Maven Central, run with the machine's Java), and the line that points a shell at it.
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Command } from "commander";
import { WeirError } from "../runtime/errors.ts";

/** The folder of Weir's package.json: the checkout, or the installed package under node_modules. */
export function packageRoot(from: string = dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, "package.json")) && existsSync(join(dir, "scripts", "kafka.sh"))) return dir;
    if (dirname(dir) === dir) throw new Error(`no package.json with scripts/kafka.sh above ${from}`);
  }
}

/**
 * The version in Weir's package.json: the nearest one above this file named weir-streams. Unlike packageRoot(),
 * it needs no scripts/kafka.sh: an image holds dist/ and package.json only (docker/Dockerfile).
 */
export function packageVersion(from: string = dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const file = join(dir, "package.json");
    if (existsSync(file)) {
      const manifest = JSON.parse(readFileSync(file, "utf8")) as { name?: string; version?: string };
      if (manifest.name === "weir-streams" && manifest.version) return manifest.version;
    }
    if (dirname(dir) === dir) throw new Error(`no package.json of weir-streams above ${from}`);
  }
}

/**
 * Where the broker's jars and data go: WEIR_CACHE_DIR when set; in a checkout its own .cache (the script's
 * default); for an installed package a per-user cache, so that reinstalling it keeps the jars and the broker.
 */
export function brokerCacheDir(root: string, env: NodeJS.ProcessEnv): string | undefined {
  if (env.WEIR_CACHE_DIR) return env.WEIR_CACHE_DIR;
  if (!root.split("/").includes("node_modules")) return undefined;
  return join(env.XDG_CACHE_HOME || join(homedir(), ".cache"), "weir");
}

function runScript(action: string): Promise<{ status: number; stdout: string }> {
  const root = packageRoot();
  const cache = brokerCacheDir(root, process.env);
  // The script treats a set KAFKA_BOOTSTRAP_SERVERS as "use that cluster"; `weir dev` is about the local one.
  const env: NodeJS.ProcessEnv = { ...process.env, ...(cache ? { WEIR_CACHE_DIR: cache } : {}) };
  delete env.KAFKA_BOOTSTRAP_SERVERS;
  return new Promise((resolve, reject) => {
    const child = spawn(join(root, "scripts", "kafka.sh"), [action], { env, stdio: ["ignore", "pipe", "inherit"] });
    let stdout = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.once("error", reject);
    child.once("close", (status) => resolve({ status: status ?? 1, stdout: stdout.trim() }));
  });
}

export function addDevCommand(program: Command): void {
  program
    .command("dev")
    .description("start (or reuse) a local Kafka broker on a free loopback port and print `export KAFKA_BOOTSTRAP_SERVERS=…`; needs Java 17+ and Maven")
    .argument("[action]", "start, stop or status", "start")
    .addHelpText("after", '\nIn a shell: eval "$(weir dev)" points it at the broker; `weir dev stop` stops it.')
    .action(async (action: string) => {
      if (!["start", "stop", "status"].includes(action)) throw new WeirError("WEIR_CONFIG_INVALID", `weir dev takes start, stop or status, got "${action}"`);
      const { status, stdout } = await runScript(action);
      if (status !== 0) {
        if (action === "status") {
          process.stderr.write("weir: no local broker is running (start one: weir dev)\n");
          process.exitCode = 1;
          return;
        }
        throw new Error(`scripts/kafka.sh ${action} failed (exit ${status}); its messages are above`);
      }
      if (action === "stop") return;
      process.stdout.write(`export KAFKA_BOOTSTRAP_SERVERS=${stdout}\n`);
      if (action === "start") process.stderr.write("weir: a local broker is up; stop it with: weir dev stop\n");
    });
}
