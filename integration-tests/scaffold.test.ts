// Weir as a user gets it: both packages packed, a project scaffolded from the create-weir tarball in a folder
// outside this checkout, installed offline from the weir-streams tarball and the npm cache, its own tests run,
// its app run with `weir run` against the broker, fed, read, queried over HTTP and stopped. Nothing here
// resolves to this checkout's sources: the children run without the "weir-source" condition.
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, dirname, join } from "node:path";
import { after, before, test, type TestContext } from "node:test";
import { TopicWriter, createTopics, readTopic } from "../src/kafka/tools.ts";
import { TestTopics, connection, eventually, freePort, root, uniqueName } from "./helpers/cluster.ts";
import { offlineLockfile, type ProjectManifest } from "./helpers/offline-lockfile.ts";

const work = realpathSync(mkdtempSync(join(tmpdir(), "weir-scaffold-")));
const name = uniqueName("svc");
const project = join(work, name);
const topics = new TestTopics();
let app: ChildProcess | undefined;
let weirTarball = "";
let createWeirTarball = "";

/** The environment of a user's shell: this test's Node first on PATH, no NODE_OPTIONS (so no "weir-source"), no npm_* of a parent npm. */
function userEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ""}`, ...extra };
  delete env.NODE_OPTIONS;
  // Set by node:test in this process's environment; an inner `node --test` would report to us instead of printing.
  delete env.NODE_TEST_CONTEXT;
  for (const key of Object.keys(env)) if (key.startsWith("npm_")) delete env[key];
  return { ...env, npm_config_update_notifier: "false", npm_config_fund: "false", npm_config_audit: "false" };
}

interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command to its end; fails the test with its output when it exits non-zero. */
async function run(t: TestContext, command: string, args: string[], cwd: string): Promise<Run> {
  const started = Date.now();
  const child = spawn(command, args, { cwd, env: userEnv(), stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const status = await new Promise<number | null>((resolve, reject) => child.once("error", reject).once("close", resolve));
  t.diagnostic(`${command} ${args.join(" ")}: ${Date.now() - started} ms`);
  assert.equal(status, 0, `${command} ${args.join(" ")} in ${cwd} exited ${status}\n${stdout.slice(-4000)}\n${stderr.slice(-4000)}`);
  return { status, stdout, stderr };
}

/** `npm pack` of the package in `dir` into the work folder: the tarball's path and the files it holds. */
async function pack(t: TestContext, dir: string): Promise<{ tarball: string; files: string[] }> {
  const { stdout } = await run(t, "npm", ["pack", "--json", "--loglevel=error", "--pack-destination", work], dir);
  // The prepack build may print before npm's JSON.
  const [result] = JSON.parse(stdout.slice(stdout.indexOf("["))) as Array<{ filename: string; files: Array<{ path: string }> }>;
  return { tarball: join(work, result!.filename), files: result!.files.map((f) => f.path).sort() };
}

before(async () => {
  // Outside the checkout, so that nothing in the project can resolve into it.
  assert.ok(!work.startsWith(`${root}/`), `${work} must not be inside ${root}`);
});

after(async () => {
  if (app && app.exitCode === null && app.signalCode === null) {
    const gone = new Promise((resolve) => app!.once("exit", resolve));
    app.kill("SIGKILL");
    await gone;
  }
  await topics.drop();
  rmSync(work, { recursive: true, force: true });
});

test("npm pack of weir-streams and create-weir holds only what users need", async (t) => {
  const weir = await pack(t, root);
  const create = await pack(t, join(root, "packages/create-weir"));
  weirTarball = weir.tarball;
  createWeirTarball = create.tarball;

  const forbidden = /(^|\/)(bench|integration-tests|topologies|docs|docker|src|node_modules)\/|\.test\.|test-fixtures|test-task|\.build-stamp/;
  assert.deepEqual(weir.files.filter((f) => forbidden.test(f)), [], "no tests, benchmarks, examples or sources");
  assert.deepEqual(weir.files.filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts")), [], "no TypeScript sources, only declarations");
  for (const file of ["package.json", "README.md", "LICENSE", "CHANGELOG.md", "dist/index.js", "dist/index.d.ts", "dist/index.js.map",
    "dist/testing/index.js", "dist/testing/index.d.ts", "dist/cli/weir.js", "dist/server/dashboard/index.html", "scripts/kafka.sh"]) {
    assert.ok(weir.files.includes(file), `weir-streams holds ${file}`);
  }
  const outsideDist = weir.files.filter((f) => !f.startsWith("dist/") && !f.startsWith("scripts/kafka"));
  assert.deepEqual(outsideDist, ["CHANGELOG.md", "LICENSE", "README.md", "package.json"]);

  assert.deepEqual(create.files.filter((f) => !f.startsWith("dist/") && !f.startsWith("template/")), ["LICENSE", "README.md", "package.json"]);
  assert.deepEqual(create.files.filter((f) => /\.test\./.test(f) && !f.startsWith("template/")), [], "create-weir's own tests stay out");
  assert.ok(create.files.includes("dist/create-weir.js") && create.files.includes("template/src/app.ts"));
});

test("a project scaffolded from the tarball installs offline, passes its own tests, type-checks and builds", async (t) => {
  assert.ok(createWeirTarball && weirTarball, "the packing test ran first");
  // `npm create weir@latest <name>` is `npm exec create-weir@latest -- <name>`; here the package is the tarball.
  const created = await run(t, "npm", ["exec", "--offline", "--yes", "--loglevel=error", `--package=${createWeirTarball}`, "--", "create-weir", name], work);
  assert.match(created.stdout, new RegExp(`Created \\d+ files in ${name}`));

  // As `npm install <tarball>` would leave it, with a lock of the versions this repository tested (see the helper).
  const manifestPath = join(project, "package.json");
  const manifest = JSON.parse(readFileSync(manifestPath, "utf8")) as ProjectManifest;
  const spec = `file:../${weirTarball.slice(work.length + 1)}`;
  const installed = { ...manifest, dependencies: { ...manifest.dependencies, "weir-streams": spec } };
  writeFileSync(manifestPath, `${JSON.stringify(installed, null, 2)}\n`);
  writeFileSync(join(project, "package-lock.json"), `${JSON.stringify(offlineLockfile(root, installed, weirTarball, spec), null, 2)}\n`);
  await run(t, "npm", ["ci", "--offline", "--loglevel=error"], project);
  assert.ok(existsSync(join(project, "node_modules/weir-streams/dist/index.js")));
  assert.ok(!existsSync(join(project, "node_modules/weir-streams/src")), "the installed package has no sources");

  const tested = await run(t, "npm", ["test"], project);
  assert.match(tested.stdout, /^ℹ pass 1$/m);
  assert.match(tested.stdout, /^ℹ fail 0$/m);
  await run(t, "npm", ["run", "typecheck"], project);
  await run(t, "npm", ["run", "build"], project);
  assert.ok(existsSync(join(project, "dist/app.js")) && !existsSync(join(project, "dist/app.test.js")));

  // Both forms of the module load through the installed CLI: TypeScript by type stripping, and the compiled JS.
  const weirBin = join(project, "node_modules/.bin/weir");
  for (const module of ["src/app.ts", "dist/app.js"]) {
    const described = await run(t, process.execPath, [weirBin, "describe", module], project);
    assert.match(described.stdout, new RegExp(`${name}-sentences`), module);
    assert.match(described.stdout, /word-counts/, module);
  }
});

test("the scaffolded app runs with weir run against the broker: counts words and answers a store query", async (t) => {
  const weirBin = join(project, "node_modules/.bin/weir");
  assert.ok(existsSync(weirBin), "the install test ran first");
  const sentences = `${name}-sentences`;
  const wordCounts = `${name}-word-counts`;
  await createTopics(connection(), [{ name: sentences, partitions: 2 }, { name: wordCounts, partitions: 2 }]);
  for (const topic of [sentences, wordCounts, `${name}-word-counts-changelog`, `${name}-by-word-repartition`]) topics.adopt(topic);

  const started = Date.now();
  const port = await freePort();
  app = spawn(process.execPath, [weirBin, "run", "src/app.ts"], {
    cwd: project,
    stdio: ["ignore", "ignore", "pipe"],
    env: userEnv({
      WEIR_BOOTSTRAP_SERVERS: connection().brokers.join(","),
      WEIR_HTTP_HOST: "127.0.0.1",
      WEIR_HTTP_PORT: String(port),
      WEIR_STATE_DIR: join(work, "state"),
      WEIR_COMMIT_INTERVAL_MS: "200",
    }),
  });
  let stderr = "";
  app.stderr!.setEncoding("utf8").on("data", (chunk: string) => (stderr = (stderr + chunk).slice(-64 * 1024)));
  const exited = new Promise<number | string>((resolve) => app!.once("close", (code, signal) => resolve(code ?? signal ?? "unknown")));

  const writer = new TopicWriter(connection());
  await writer.connect();
  try {
    await writer.write(sentences, [
      { key: "s1", value: "Hello streams" },
      { key: "s2", value: "hello again, hello" },
    ]);
  } finally {
    await writer.close();
  }

  // Five updates: hello 1, 2, 3 (in order: one key, one partition), streams 1, again 1.
  const records = await Promise.race([
    readTopic(connection(), wordCounts, { count: 5, timeoutMs: 180_000 }),
    exited.then((end) => {
      throw new Error(`weir run ended (${end}) before its counts were read; its stderr:\n${stderr.slice(-4000)}`);
    }),
  ]).catch((err: unknown) => {
    throw new Error(`${String(err)}\nweir run stderr:\n${stderr.slice(-4000)}`);
  });
  assert.ok(records.length >= 5, `${records.length} of 5 counts on ${wordCounts} in 180 s; weir run's stderr:\n${stderr.slice(-8000)}`);
  const latest = new Map(records.map((r) => [r.key!.toString("utf8"), Number(r.value!.readBigInt64BE())]));
  assert.deepEqual(Object.fromEntries([...latest].sort()), { again: 1, hello: 3, streams: 1 });
  t.diagnostic(`weir run start to the last count on ${wordCounts}: ${Date.now() - started} ms`);

  let answer: unknown;
  await eventually("the store query for hello", 60_000, async () => {
    const response = await fetch(`http://127.0.0.1:${port}/stores/word-counts/keys/hello`).catch(() => undefined);
    if (response?.status !== 200) return false;
    answer = await response.json();
    return true;
  });
  assert.deepEqual(answer, { store: "word-counts", key: "hello", value: 3 });
  t.diagnostic(`weir run start to the store answering: ${Date.now() - started} ms`);

  assert.ok(app.pid !== undefined);
  process.kill(app.pid, "SIGTERM");
  assert.equal(await exited, 0, `weir run left with a failure:\n${stderr.slice(-4000)}`);
});
