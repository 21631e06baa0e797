// Kafka and the schema registry as containers, started with testcontainers on the images scripts/images.sh
// builds (no image registry is reachable here). Every container runs on the host network and listens on
// loopback ports picked here, as the Maven-jar processes of scripts/kafka.sh and scripts/registry.sh do; the
// wait strategies watch the containers' logs, since a host-network container has no mapped port to probe.
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { promisify } from "node:util";
import { GenericContainer, Wait, type StartedTestContainer } from "testcontainers";
import { root } from "./cluster.ts";

const run = promisify(execFile);

// Both read by testcontainers when it first talks to the engine. Ryuk, its reaper container, is an image from
// Docker Hub, which is unreachable here: without it, whoever starts a container stops it (with-containers.ts
// does; scripts/docker-engine.sh stop stops any left over). And the host of a host-network container is
// loopback; without the override testcontainers looks for the gateway of the bridge network, which the
// private engine does not have.
process.env.TESTCONTAINERS_RYUK_DISABLED ??= "true";
process.env.TESTCONTAINERS_HOST_OVERRIDE ??= "127.0.0.1";

export class ContainerStartError extends Error {
  readonly code = "CONTAINER_START_FAILED";
}

/** The tags scripts/images.sh gives the Kafka and registry images (it prints them too). */
export function imageTags(): { kafka: string; registry: string } {
  const kafkaVersion = process.env.KAFKA_VERSION ?? /^DEFAULT_KAFKA_VERSION=(\S+)$/m.exec(readFileSync(join(root, "scripts/kafka.sh"), "utf8"))![1]!;
  const registryVersion = /<apicurio\.version>([^<]+)</.exec(readFileSync(join(root, "scripts/registry/pom.xml"), "utf8"))![1]!;
  return {
    kafka: process.env.WEIR_KAFKA_IMAGE ?? `weir-kafka:${kafkaVersion}`,
    registry: process.env.WEIR_REGISTRY_IMAGE ?? `weir-registry:${registryVersion}`,
  };
}

/** `count` distinct free loopback ports: all are bound before any is released, so they differ. */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: count }, () => new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
      const server = createServer();
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => resolve(server));
    })),
  );
  const ports = servers.map((s) => (s.address() as { port: number }).port);
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  return ports;
}

/** A label naming the run of scripts/container-tests.sh that started a container: it removes them on any exit. */
function runLabels(): Record<string, string> {
  const run = process.env.WEIR_CONTAINER_RUN;
  return run ? { "dev.weir.run": run } : {};
}

export interface RunningService {
  /** KAFKA_BOOTSTRAP_SERVERS or SCHEMA_REGISTRY_URL. */
  readonly address: string;
  readonly container: StartedTestContainer;
}

/**
 * A single-node KRaft broker: ready once it logs that it started, then warmed like scripts/kafka.sh warms its
 * own (offsets and transaction topics created and loaded, so a test's first transaction meets no retries).
 */
export async function startKafka(image = imageTags().kafka): Promise<RunningService> {
  const [port, controllerPort] = await freePorts(2);
  const container = await new GenericContainer(image)
    .withNetworkMode("host")
    .withLabels(runLabels())
    .withEnvironment({ WEIR_KAFKA_PORT: String(port), WEIR_KAFKA_CONTROLLER_PORT: String(controllerPort) })
    .withWaitStrategy(Wait.forLogMessage(/Kafka Server started/))
    .withStartupTimeout(300_000)
    .start();
  const address = `127.0.0.1:${port}`;
  try {
    await run("python3", [join(root, "scripts/kafka/probe.py"), "warm", address, "120"]);
  } catch (error) {
    await container.stop();
    throw new ContainerStartError(`Kafka in container ${container.getId().slice(0, 12)} did not warm up: ${(error as Error).message}`);
  }
  return { address, container };
}

/**
 * A shell check run inside a container until it passes: GET of `path` on the container's loopback `port`
 * answers 200 (bash's /dev/tcp; the images have no curl). Apicurio logs nothing when its HTTP API opens.
 */
export function httpOkCommand(port: number, path: string): string {
  const request = `GET ${path} HTTP/1.0\\r\\nHost: 127.0.0.1\\r\\n\\r\\n`;
  return `bash -c 'exec 3<>/dev/tcp/127.0.0.1/${port} && printf "${request}" >&3 && head -n 1 <&3 | grep -q " 200 "'`;
}

/** Apicurio Registry with in-memory storage, serving its Confluent-compatible API. */
export async function startRegistry(image = imageTags().registry): Promise<RunningService> {
  const [port] = await freePorts(1);
  const path = "/apis/ccompat/v7";
  const container = await new GenericContainer(image)
    .withNetworkMode("host")
    .withLabels(runLabels())
    .withEnvironment({ QUARKUS_HTTP_PORT: String(port) })
    .withWaitStrategy(Wait.forSuccessfulCommand(httpOkCommand(port!, `${path}/subjects`)))
    .withStartupTimeout(300_000)
    .start();
  return { address: `http://127.0.0.1:${port}${path}`, container };
}
