#!/usr/bin/env node
// `npm create weir@latest <dir>` (or `npx create-weir <dir>`): writes a Weir service project into <dir>.
// Exit codes: 0 written, 2 bad usage (no folder, an invalid name, a folder that is not empty).
import { relative } from "node:path";
import { ScaffoldError, createWeirVersion, scaffold } from "./scaffold.ts";

const usage = `Usage: npm create weir@latest <dir>   (or: npx create-weir <dir>)

Writes a Weir stream-processing service into <dir>: a word-count topology (src/app.ts), its
TopologyTestDriver test, package.json, tsconfig, a Dockerfile and a README with the commands.
The folder's name becomes the npm name, the applicationId and the prefix of the topics.`;

const args = process.argv.slice(2);
if (args.includes("--help") || args.includes("-h")) {
  process.stdout.write(`${usage}\n`);
} else if (args.includes("--version") || args.includes("-V")) {
  process.stdout.write(`${createWeirVersion()}\n`);
} else if (args.length !== 1 || args[0]!.startsWith("-")) {
  process.stderr.write(`create-weir: expected one folder, got ${args.length === 0 ? "none" : args.join(" ")}\n\n${usage}\n`);
  process.exitCode = 2;
} else {
  const dir = args[0]!;
  try {
    const files = scaffold(dir);
    const cd = relative(process.cwd(), dir) || ".";
    process.stdout.write(
      [
        `Created ${files.length} files in ${cd}. Next:`,
        "",
        `  cd ${cd}`,
        "  npm install",
        "  npm test                # the topology on the TopologyTestDriver, no broker needed",
        "  npm run dev             # run it against Kafka (KAFKA_BOOTSTRAP_SERVERS; see README.md)",
        "",
      ].join("\n"),
    );
  } catch (err) {
    if (!(err instanceof ScaffoldError)) throw err;
    process.stderr.write(`create-weir: ${err.message}\n`);
    process.exitCode = 2;
  }
}
