#!/usr/bin/env node
// The `weir` command: run a topology module as a group member, or describe its topology.
// Exit codes: 0 success, 1 the app failed while running, 2 bad usage, configuration or module, 3 a topic is missing.
import { Command, InvalidArgumentError } from "commander";
import { App } from "../runtime/app.ts";
import { WeirError } from "../runtime/errors.ts";
import { loadApp } from "./load-module.ts";

export const exitCodes = { ok: 0, failed: 1, usage: 2, topicMissing: 3 } as const;

function integer(value: string): number {
  if (!/^-?\d+$/.test(value)) throw new InvalidArgumentError(`expected a whole number, got "${value}"`);
  return Number(value);
}

const program = new Command()
  .name("weir")
  .description("Kafka-native stream processing for TypeScript")
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
  .option("--log-level <level>", "overrides logLevel (env WEIR_LOG_LEVEL)")
  .option("--processing-guarantee <guarantee>", "exactly_once or at_least_once (env WEIR_PROCESSING_GUARANTEE)")
  .option("--until-end", "bounded mode: process the inputs up to their end offsets at start, commit, exit 0")
  .action(async (modulePath: string, flags: Record<string, unknown>) => {
    const definition = await loadApp(modulePath);
    const { untilEnd, ...settings } = flags;
    const overrides = Object.fromEntries(Object.entries(settings).filter(([, v]) => v !== undefined));
    const app = new App(definition, overrides);
    let signals = 0;
    const onSignal = (signal: NodeJS.Signals) => {
      signals += 1;
      if (signals > 1) {
        app.logger.warn({ signal }, "second signal: exiting at once");
        process.exit(exitCodes.failed);
      }
      app.logger.info({ signal }, "signal received: shutting down");
      void app.stop();
    };
    process.on("SIGTERM", onSignal);
    process.on("SIGINT", onSignal);
    try {
      await app.start({ untilEnd: untilEnd === true });
    } catch (err) {
      await app.stop();
      throw err;
    }
    const failure = await app.done;
    if (failure) throw failure;
  });

program
  .command("describe")
  .description("print the topology of a module: sub-topologies, sources, processors, sinks")
  .argument("<module>", "a .ts/.js file, or a folder holding app.ts or index.ts")
  .option("--mermaid", "print a Mermaid flowchart instead of text")
  .action(async (modulePath: string, flags: { mermaid?: boolean }) => {
    const definition = await loadApp(modulePath);
    process.stdout.write(flags.mermaid ? definition.topology.describeMermaid() : definition.topology.describe());
  });

try {
  await program.parseAsync(process.argv);
  process.exitCode = exitCodes.ok;
} catch (err) {
  const code = err instanceof WeirError ? err.code : undefined;
  process.stderr.write(`weir: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode =
    code === "WEIR_TOPIC_MISSING"
      ? exitCodes.topicMissing
      : code === "WEIR_CONFIG_INVALID" || code === "WEIR_MODULE_INVALID" || code === "WEIR_TOPOLOGY_INVALID"
        ? exitCodes.usage
        : exitCodes.failed;
}
