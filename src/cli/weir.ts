#!/usr/bin/env node
// The `weir` command: run a topology module as a group member, describe its topology, reset an application, and
// the developer tools (topics, produce, tail, a local broker).
// Exit codes: 0 success, 1 the app failed while running, 2 bad usage, configuration or module, 3 a topic is missing.
import { Command, InvalidArgumentError } from "commander";
import { App } from "../runtime/app.ts";
import { resolveAppConfig } from "../runtime/app-definition.ts";
import { WeirError } from "../runtime/errors.ts";
import { createLogger } from "../runtime/logger.ts";
import { workerCount, workerIndex } from "../runtime/worker-settings.ts";
import { addDevCommand, packageVersion } from "./dev-broker.ts";
import { unknownVariableWarning, unknownWeirVariables } from "./environment-check.ts";
import { exitCodes, failureReport } from "./failure-report.ts";
import { loadApp } from "./load-module.ts";
import { GroupActiveError, resetApplication, type ResetOptions } from "./reset.ts";
import { addProduceCommand, addTailCommand, addTopicCommands } from "./topic-commands.ts";
import { answerSupervisor } from "./worker-channel.ts";
import { WorkerSupervisor } from "./worker-supervisor.ts";

function integer(value: string): number {
  if (!/^-?\d+$/.test(value)) throw new InvalidArgumentError(`expected a whole number, got "${value}"`);
  return Number(value);
}

const program = new Command()
  .name("weir")
  .description("Kafka-native stream processing for TypeScript")
  .version(packageVersion(), "-V, --version", "print the version of Weir")
  .showHelpAfterError()
  .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : exitCodes.usage));

program
  .command("run")
  .description("run the app a module exports by default, as a member of the consumer group <applicationId>")
  .argument("<module>", "a .ts/.js file, or a folder holding app.ts or index.ts")
  .option("--application-id <id>", "overrides applicationId (env WEIR_APPLICATION_ID)")
  .option("--bootstrap-servers <list>", "overrides bootstrapServers, comma-separated (env WEIR_BOOTSTRAP_SERVERS)")
  .option("--commit-interval-ms <ms>", "overrides commitIntervalMs (env WEIR_COMMIT_INTERVAL_MS)", integer)
  .option("--state-dir <dir>", "overrides stateDir (env WEIR_STATE_DIR)")
  .option("--http-port <port>", "overrides httpPort; 0 picks a free port (env WEIR_HTTP_PORT)", integer)
  .option("--log-level <level>", "overrides logLevel (env WEIR_LOG_LEVEL)")
  .option("--processing-guarantee <guarantee>", "exactly_once or at_least_once (env WEIR_PROCESSING_GUARANTEE)")
  .option("--group-instance-id <id>", "overrides groupInstanceId: static membership, unique per instance (env WEIR_GROUP_INSTANCE_ID)")
  .option("--until-end", "bounded mode: process the inputs up to their end offsets at start, commit, exit 0")
  .option("--workers <n>", "run n members of the group as child processes behind one HTTP port; default 1 (env WEIR_WORKERS)")
  .action(async (modulePath: string, flags: Record<string, unknown>) => {
    const { untilEnd, workers: workersFlag, ...settings } = flags;
    const overrides = Object.fromEntries(Object.entries(settings).filter(([, v]) => v !== undefined));
    const workers = workerCount(workersFlag as string | undefined, process.env);
    const index = workerIndex(process.env);
    if (index === undefined && workers > 1) {
      await supervise(modulePath, overrides, workers, untilEnd === true);
      return;
    }
    // Handled from the first moment: a signal at any point of start-up ends the process cleanly (exit 0), and
    // start-up takes no further step, so the process never joins the group after it (App.stop()).
    const started: { app?: App } = {};
    let signals = 0;
    const onSignal = (signal: NodeJS.Signals) => {
      signals += 1;
      const app = started.app;
      // Before the app exists nothing was opened: nothing to stop.
      if (!app) process.exit(exitCodes.ok);
      if (signals > 1) {
        app.logger.warn({ signal }, "second signal: exiting at once");
        process.exit(exitCodes.failed);
      }
      app.logger.info({ signal }, "signal received: shutting down");
      const timeoutMs = app.config.shutdownTimeoutMs;
      setTimeout(() => {
        app.logger.error({ timeoutMs }, "shutdown took longer than shutdownTimeoutMs: exiting");
        process.exit(exitCodes.failed);
      }, timeoutMs).unref();
      void app.stop();
    };
    process.on("SIGTERM", onSignal);
    process.on("SIGINT", onSignal);
    const supervisor = index === undefined ? undefined : answerSupervisor(started, () => onSignal("SIGTERM"));
    const definition = await loadApp(modulePath);
    const app = (started.app = new App(definition, overrides));
    // An unreachable broker is waited for by start(), with backoff, until startupTimeoutMs (WEIR_BROKER_UNREACHABLE).
    try {
      await app.start({ untilEnd: untilEnd === true, ...(supervisor ? { listening: supervisor.listening } : {}) });
    } catch (err) {
      await app.stop();
      throw err;
    }
    const failure = await app.done;
    if (failure) throw failure;
  });

/** `--workers n` (n > 1): this process supervises n workers, each this command again (worker-supervisor.ts). */
async function supervise(modulePath: string, overrides: Record<string, unknown>, workers: number, untilEnd: boolean): Promise<void> {
  // Loaded here too, so that a bad module or configuration fails once (exit 2) before any worker starts.
  const definition = await loadApp(modulePath);
  const config = resolveAppConfig(definition, overrides);
  const topology = definition.topology.forApplication(config.applicationId);
  if (untilEnd && topology.repartitionTopics.length > 0) {
    throw new WeirError("WEIR_CONFIG_INVALID", `--until-end does not support topologies with repartition topics yet (${topology.repartitionTopics.map((r) => r.name).join(", ")})`);
  }
  const logger = createLogger(config.logLevel, { app: config.applicationId, supervisor: true });
  // --until-end is the supervisor's: each worker runs unbounded, and the service stops when the group is at the end.
  const args = process.argv.slice(2).filter((a) => a !== "--until-end");
  const supervisor = new WorkerSupervisor({
    workers,
    script: process.argv[1]!,
    args,
    config,
    logger,
    ...(untilEnd ? { untilEnd: { topics: topology.sourceTopics() } } : {}),
  });
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals += 1;
    if (signals > 1) {
      logger.warn({ signal }, "second signal: killing the workers");
      supervisor.kill();
      return;
    }
    logger.info({ signal }, "signal received: stopping the workers");
    supervisor.stop();
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
  await supervisor.start();
  process.exitCode = await supervisor.done;
}

program
  .command("describe")
  .description("print the topology of a module: sub-topologies, sources, processors, sinks")
  .argument("<module>", "a .ts/.js file, or a folder holding app.ts or index.ts")
  .option("--mermaid", "print a Mermaid flowchart instead of text")
  .action(async (modulePath: string, flags: { mermaid?: boolean }) => {
    const definition = await loadApp(modulePath);
    // Internal topics show their full names when the module names its application, `<name>-repartition` otherwise.
    const id = definition.settings.applicationId;
    const topology = id === undefined ? definition.topology : definition.topology.forApplication(id);
    process.stdout.write(flags.mermaid ? topology.describeMermaid() : topology.describe());
  });

program
  .command("reset")
  .description(
    "put an application back at its start: delete its internal topics (<id>-*-changelog, <id>-*-repartition) and move " +
      "the committed offsets of its group <id> to the earliest offset of every partition of its input topics",
  )
  .requiredOption("--application-id <id>", "the application's applicationId: its group and the prefix of its internal topics")
  .option("--bootstrap-servers <list>", "comma-separated (env WEIR_BOOTSTRAP_SERVERS, then KAFKA_BOOTSTRAP_SERVERS)")
  .option("--input-topics <list>", "comma-separated topics whose offsets to reset (default: every topic the group has committed offsets for)")
  .option("--state-dir <dir>", "also delete <dir>/<id>, the local state of the instances that ran on this machine with that stateDir")
  .option("--dry-run", "print what would be deleted and reset, one line each, and change nothing")
  .addHelpText(
    "after",
    `
Stop every instance first: a group with members is refused (exit 2) and nothing is changed.
Local state is not on the cluster: delete <stateDir>/<id> on every instance's machine before
restarting it (--state-dir does it for this machine). A task that keeps its old state file
would go on from its old counts while reading its input from the start again.
Offsets are committed one input topic at a time (a few seconds each); topics are deleted last.`,
  )
  .action(async (flags: ResetOptions) => {
    try {
      await resetApplication(flags, process.env, (line) => process.stdout.write(`${line}\n`));
    } catch (err) {
      if (!(err instanceof GroupActiveError)) throw err;
      // Not a WeirError code the exit-code mapping below knows: refused usage, exit 2.
      process.stderr.write(`weir: ${err.message}\n`);
      process.exit(exitCodes.usage);
    }
  });

addTopicCommands(program);
addProduceCommand(program);
addTailCommand(program);
addDevCommand(program);

for (const variable of unknownWeirVariables(process.env)) process.stderr.write(`${unknownVariableWarning(variable)}\n`);

try {
  await program.parseAsync(process.argv);
  process.exitCode ??= exitCodes.ok;
} catch (err) {
  const report = failureReport(err);
  process.stderr.write(`${report.message}\n`);
  process.exitCode = report.exitCode;
}
// Whatever a client library may still hold open (a connection of a producer that failed to start), the
// process ends with its exit code; the timer does not itself keep the process alive.
setTimeout(() => process.exit(), 2000).unref();
