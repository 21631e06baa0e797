// Where and with what a run was measured: machine, versions, date.
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
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

/** The Kafka Streams jar the peer was built with (bench/peers/kafka-streams/pom.xml, resolved into its lib/). */
function kafkaStreamsVersion(): string {
  try {
    const lib = join(process.env.BENCH_KAFKA_STREAMS_DIR ?? join(process.env.WEIR_CACHE_DIR ?? join(repoRoot, ".cache"), "bench-kafka-streams"), "lib");
    const jar = readdirSync(lib).find((f) => /^kafka-streams-\d/.test(f));
    return jar?.replace(/^kafka-streams-(.*)\.jar$/, "$1") ?? "not built";
  } catch {
    return "not built";
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
      "@platformatic/kafka": packageVersion("@platformatic/kafka"),
      kafkajs: packageVersion("kafkajs"),
      "better-sqlite3": packageVersion("better-sqlite3"),
      kafka: process.env.KAFKA_VERSION ?? "4.4.0",
      "kafka-streams": kafkaStreamsVersion(),
      java,
    },
  };
}
