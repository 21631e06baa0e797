// Schema registry helpers for integration tests: the shared registry's URL, setting a subject's
// compatibility, and a private registry instance (scripts/registry.sh with its own run dir, port and
// file-backed storage) that a test may stop by PID and start again with its schemas intact.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { root, schemaRegistryUrl } from "./cluster.ts";

/** Sets a subject's compatibility (Apicurio's global default is NONE). */
export async function setCompatibility(subject: string, level: string, url = schemaRegistryUrl()): Promise<void> {
  const response = await fetch(`${url}/config/${encodeURIComponent(subject)}`, {
    method: "PUT",
    headers: { "content-type": "application/vnd.schemaregistry.v1+json" },
    body: JSON.stringify({ compatibility: level }),
  });
  if (!response.ok) throw new Error(`PUT /config/${subject} answered ${response.status}: ${await response.text()}`);
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function run(args: readonly string[], env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(join(root, "scripts/registry.sh"), args, { env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (c: Buffer) => (out += c.toString()));
    child.stderr.on("data", (c: Buffer) => (err += c.toString()));
    child.on("close", (code) => (code === 0 ? resolve(out.trim()) : reject(new Error(`registry.sh ${args.join(" ")} exited ${code}: ${err.slice(-2000)}`))));
  });
}

/** A registry of the test's own: same install as the shared one, its own port, run dir and H2 file. */
export class PrivateRegistry {
  readonly url: string;
  private readonly dir: string;
  private readonly env: NodeJS.ProcessEnv;

  private constructor(url: string, dir: string, env: NodeJS.ProcessEnv) {
    this.url = url;
    this.dir = dir;
    this.env = env;
  }

  static async start(): Promise<PrivateRegistry> {
    const dir = mkdtempSync(join(tmpdir(), "weir-registry-"));
    const installed = join(root, ".cache");
    const version = /<apicurio\.version>([^<]+)</.exec(readFileSync(join(root, "scripts/registry/pom.xml"), "utf8"))![1]!;
    // The install is shared (read only); the run dir (PID file, logs) and the database are this test's.
    symlinkSync(join(process.env.WEIR_CACHE_DIR ?? installed, `registry-${version}`), join(dir, `registry-${version}`));
    const port = await freePort();
    const env: NodeJS.ProcessEnv = { ...process.env, WEIR_CACHE_DIR: dir, WEIR_REGISTRY_PORT: String(port) };
    delete env.SCHEMA_REGISTRY_URL;
    env.WEIR_REGISTRY_JAVA_OPTS = `-Xms64m -Xmx512m -XX:MaxMetaspaceSize=256m -XX:+UseSerialGC -XX:ActiveProcessorCount=2 -Dapicurio.datasource.url=jdbc:h2:file:${join(dir, "db", "registry")};DB_CLOSE_ON_EXIT=FALSE`;
    const url = await run(["start"], env);
    return new PrivateRegistry(url, dir, env);
  }

  /** The PID scripts/registry.sh recorded for the running registry. */
  pid(): number {
    return Number(readFileSync(join(this.dir, "registry-run", "registry.pid"), "utf8").trim());
  }

  /** Stops the registry process by its PID (SIGTERM) and waits until it is gone. */
  async kill(): Promise<void> {
    const pid = this.pid();
    process.kill(pid, "SIGTERM");
    const deadline = Date.now() + 30_000;
    for (;;) {
      try {
        process.kill(pid, 0);
      } catch {
        return;
      }
      if (Date.now() > deadline) throw new Error(`registry pid ${pid} did not exit within 30 s of SIGTERM`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Starts it again on the same port and database. */
  async restart(): Promise<void> {
    const url = await run(["start"], this.env);
    if (url !== this.url) throw new Error(`the registry came back at ${url}, not ${this.url}`);
  }

  async dispose(): Promise<void> {
    await run(["stop"], this.env).catch(() => undefined);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
