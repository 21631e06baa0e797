// The scaffold writes a complete project named after its folder, and refuses names and folders it cannot use.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, test } from "node:test";
import { ScaffoldError, createWeirVersion, scaffold } from "./scaffold.ts";

const repoRoot = join(import.meta.dirname, "../../..");
const readJson = (path: string) => JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>;

let work: string;
afterEach(() => rmSync(work, { recursive: true, force: true }));
const tempDir = () => (work = mkdtempSync(join(tmpdir(), "create-weir-")));

test("a project is written with the folder's name in its package, applicationId, topics and README", () => {
  const dir = join(tempDir(), "orders-service");
  const files = scaffold(dir);
  assert.deepEqual(files, [
    ".dockerignore",
    ".gitignore",
    "Dockerfile",
    "README.md",
    "package.json",
    "src/app.test.ts",
    "src/app.ts",
    "tsconfig.build.json",
    "tsconfig.json",
  ]);
  const pkg = readJson(join(dir, "package.json"));
  assert.equal(pkg.name, "orders-service");
  assert.deepEqual(pkg.dependencies, { "weir-streams": `^${createWeirVersion()}` });
  const app = readFileSync(join(dir, "src/app.ts"), "utf8");
  assert.match(app, /applicationId: "orders-service"/);
  assert.match(app, /"orders-service-sentences"/);
  assert.match(readFileSync(join(dir, "README.md"), "utf8"), /^# orders-service$/m);
  for (const file of files) assert.doesNotMatch(readFileSync(join(dir, file), "utf8"), /__NAME__/, file);
});

test("the generated project pins the build tools and Node versions this repository uses", () => {
  const dir = join(tempDir(), "svc");
  scaffold(dir);
  const pkg = readJson(join(dir, "package.json"));
  const root = readJson(join(repoRoot, "package.json"));
  const rootDev = root.devDependencies as Record<string, string>;
  for (const [name, version] of Object.entries(pkg.devDependencies as Record<string, string>)) {
    assert.equal(version, rootDev[name], `${name} as in the repository's package.json`);
  }
  assert.deepEqual(pkg.engines, root.engines);
  assert.equal(createWeirVersion(), root.version, "create-weir is released at weir-streams's version");
});

test("a name that cannot be an npm name, an applicationId and a topic prefix is refused", () => {
  for (const name of ["My-Service", "-svc", "svc/x", "a b"]) {
    assert.throws(() => scaffold(join(tempDir(), "ok"), { name }), (err: unknown) => err instanceof ScaffoldError && err.code === "CREATE_WEIR_NAME_INVALID");
  }
});

test("a folder that is not empty is left untouched", () => {
  const dir = join(tempDir(), "taken");
  mkdirSync(dir);
  writeFileSync(join(dir, "notes.txt"), "mine");
  assert.throws(() => scaffold(dir), (err: unknown) => err instanceof ScaffoldError && err.code === "CREATE_WEIR_DIR_NOT_EMPTY");
  assert.equal(readFileSync(join(dir, "notes.txt"), "utf8"), "mine");
});
