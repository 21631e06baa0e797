// Runs an example live: creates its topics, starts its generator and `weir run` as child processes,
// and prints what the topology writes until Ctrl-C, then stops the children by PID.
import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, mkdirSync, rmSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { createTopics, tailTopics } from "../../src/kafka/tools.ts";
import type { ConsumedRecord } from "../../src/kafka/types.ts";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

export interface DemoSpec {
  /** The example's folder name under topologies/. */
  readonly example: string;
  readonly topics: readonly { readonly name: string; readonly partitions: number }[];
  readonly generatorArgs: readonly string[];
  readonly outputTopics: readonly string[];
  /** What to print for an output record (lines), or undefined to print nothing for it. */
  readonly format: (record: ConsumedRecord) => string | undefined;
}

export async function runDemo(spec: DemoSpec): Promise<void> {
  const bootstrap = process.env.KAFKA_BOOTSTRAP_SERVERS;
  if (!bootstrap) throw new Error("KAFKA_BOOTSTRAP_SERVERS is not set: run the demo with `make demo`");
  const connection = { brokers: bootstrap.split(",") };
  await createTopics(connection, spec.topics.map((t) => ({ name: t.name, partitions: t.partitions })));

  const logDir = join(root, ".cache", "demo");
  mkdirSync(logDir, { recursive: true });
  // Each demo starts on a new broker: state files of an earlier run would only be wiped after a wait.
  const stateDir = join(logDir, "state", spec.example);
  rmSync(stateDir, { recursive: true, force: true });
  const children: ChildProcess[] = [];
  const start = (name: string, args: string[]) => {
    const log = createWriteStream(join(logDir, `${spec.example}-${name}.log`));
    // Own process group: a Ctrl-C reaches the demo only, which then stops each child once, by PID.
    const child = spawn(process.execPath, args, { cwd: root, stdio: ["ignore", "pipe", "pipe"], env: { WEIR_STATE_DIR: stateDir, ...process.env }, detached: true });
    child.stdout.pipe(log);
    child.stderr.pipe(log);
    child.on("exit", (code, signal) => {
      if (stopping) return;
      if (code === 0) console.error(`demo: ${name} (pid ${child.pid}) finished; Ctrl-C stops the rest`);
      else console.error(`demo: ${name} (pid ${child.pid}) exited with ${code ?? signal}; see .cache/demo/${spec.example}-${name}.log`);
    });
    children.push(child);
    console.error(`demo: started ${name} (pid ${child.pid}), log in .cache/demo/${spec.example}-${name}.log`);
  };

  let stopping = false;
  const stopTail = await tailTopics(connection, spec.outputTopics, (record) => {
    const text = spec.format(record);
    if (text !== undefined) console.log(text);
  });
  start("app", ["src/cli/weir.ts", "run", `topologies/${spec.example}`]);
  start("generator", [`topologies/${spec.example}/generate.ts`, ...spec.generatorArgs]);
  console.error(`demo: dashboard at http://127.0.0.1:${process.env.WEIR_HTTP_PORT ?? "8080"}/ (metrics at /metrics)`);
  console.error(`demo: printing ${spec.outputTopics.join(", ")} as records arrive; Ctrl-C stops everything`);

  await new Promise<void>((done) => {
    const stop = () => {
      if (stopping) return;
      stopping = true;
      console.error("demo: stopping");
      // A child that ended on a signal has exitCode null too: alive means neither is set.
      const alive = children.filter((c) => c.exitCode === null && c.signalCode === null);
      const exits = alive.map((c) => new Promise((r) => c.once("exit", r)));
      for (const child of alive) child.kill("SIGTERM");
      void Promise.all(exits)
        .then(() => stopTail())
        .then(done);
    };
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
}
