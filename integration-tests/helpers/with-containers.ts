// The testcontainers path of scripts/with-services.sh: starts Kafka and the schema registry as containers
// (helpers/containers.ts), runs the command with KAFKA_BOOTSTRAP_SERVERS and SCHEMA_REGISTRY_URL set, and
// stops the containers whether the command passed, failed or was interrupted.
//   node integration-tests/helpers/with-containers.ts COMMAND [ARGS...]
// Needs DOCKER_HOST (scripts/docker-engine.sh start) and the images of scripts/images.sh. Ryuk, the reaper
// container testcontainers starts by default, is an image from Docker Hub: with-services.sh disables it
// (TESTCONTAINERS_RYUK_DISABLED=true), so this process stops what it started itself.
import { spawn } from "node:child_process";
import { startKafka, startRegistry, type RunningService } from "./containers.ts";

const [command, ...args] = process.argv.slice(2);
if (!command) {
  console.error("usage: with-containers.ts COMMAND [ARGS...]");
  process.exit(2);
}

const started: RunningService[] = [];
let stopping: Promise<void> | undefined;
function stopAll(): Promise<void> {
  stopping ??= Promise.all(started.splice(0).reverse().map((s) => s.container.stop({ timeout: 10_000 }).then(() => undefined))).then(() => undefined);
  return stopping;
}

let exitCode = 1;
try {
  // The registry keeps its schemas in memory and needs no broker: both start at once.
  const wanted = [startKafka(), ...(process.env.WEIR_NO_REGISTRY === "1" ? [] : [startRegistry()])];
  const results = await Promise.allSettled(wanted);
  for (const r of results) if (r.status === "fulfilled") started.push(r.value);
  const failed = results.find((r) => r.status === "rejected");
  if (failed) throw failed.reason;
  const [kafka, registry] = started as [RunningService, RunningService | undefined];
  const env: NodeJS.ProcessEnv = { ...process.env, KAFKA_BOOTSTRAP_SERVERS: kafka.address };
  if (registry) env.SCHEMA_REGISTRY_URL = registry.address;
  console.error(`with-containers: Kafka at ${env.KAFKA_BOOTSTRAP_SERVERS} (container ${kafka.container.getId().slice(0, 12)}), schema registry at ${env.SCHEMA_REGISTRY_URL ?? "(none)"}`);
  const child = spawn(command, args, { env, stdio: "inherit" });
  // The command gets the signal too (same process group); the containers are stopped once it has exited.
  for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => child.kill(signal));
  exitCode = await new Promise<number>((resolve) => {
    child.on("error", (error) => {
      console.error(`with-containers: could not run ${command}: ${error.message}`);
      resolve(127);
    });
    child.on("exit", (code, signal) => resolve(code ?? (signal === "SIGINT" ? 130 : 143)));
  });
} catch (error) {
  console.error(`with-containers: ${(error as Error).message}`);
} finally {
  await stopAll();
}
process.exit(exitCode);
