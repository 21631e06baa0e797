// Where and with what a run was measured: machine, versions, date.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { cpus, loadavg, totalmem, release } from "node:os";
import { join } from "node:path";
import { repoRoot } from "./weir.ts";

/** What a command printed (`java -version` prints on stderr). */
function run(command: string, args: readonly string[]): string {
  const result = spawnSync(command, args, { cwd: repoRoot, encoding: "utf8" });
  return `${result.stdout ?? ""}${result.stderr ?? ""}`.trim() || "unknown";
}

function packageVersion(name: string): string {
  try {
    return (JSON.parse(readFileSync(join(repoRoot, "node_modules", name, "package.json"), "utf8")) as { version: string }).version;
  } catch {
    return "unknown";
  }
}

export interface MachineInfo {
  readonly date: string;
  readonly cpu: string;
  readonly cores: number;
  readonly memoryGb: number;
  readonly os: string;
  /** 1-minute load average when the run started. */
  readonly loadAtStart: number;
  readonly versions: Readonly<Record<string, string>>;
}

export function machineInfo(): MachineInfo {
  const java = run("java", ["-version"]).split("\n")[0] ?? "unknown";
  return {
    date: new Date().toISOString(),
    cpu: cpus()[0]?.model ?? "unknown",
    cores: cpus().length,
    memoryGb: Math.round(totalmem() / 2 ** 30),
    os: `Linux ${release()}`,
    loadAtStart: Math.round((loadavg()[0] ?? 0) * 100) / 100,
    versions: {
      weir: run("git", ["rev-parse", "--short", "HEAD"]),
      node: process.version,
      kafkajs: packageVersion("kafkajs"),
      "better-sqlite3": packageVersion("better-sqlite3"),
      kafka: process.env.KAFKA_VERSION ?? "4.4.0",
      "kafka-streams": "4.4.0",
      java,
    },
  };
}
