// Builds the publishable packages: weir-streams (src/ → dist/) and create-weir (packages/create-weir/src/ →
// packages/create-weir/dist/), each a fresh dist/ of ESM JavaScript with .d.ts and source maps. `npm run build`,
// `make build` and every `npm pack` (prepack) run it; a dist/ newer than all its inputs is kept as it is.
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
const stampName = ".build-stamp";

/** The newest modification time among files and folders' files (folders walked, node_modules and dist skipped). */
function newestMtime(paths: string[]): number {
  let newest = 0;
  for (const path of paths) {
    const stat = statSync(path);
    if (!stat.isDirectory()) newest = Math.max(newest, stat.mtimeMs);
    else {
      const children = readdirSync(path).filter((name) => name !== "node_modules" && name !== "dist");
      newest = Math.max(newest, stat.mtimeMs, newestMtime(children.map((name) => join(path, name))));
    }
  }
  return newest;
}

/** Compiles `project` into `outDir` unless its stamp is newer than every input. */
function build(name: string, dir: string, inputs: string[], afterCompile: () => void = () => {}): void {
  const outDir = join(dir, "dist");
  const stamp = join(outDir, stampName);
  const allInputs = [...inputs, join(dir, "package.json"), join(dir, "tsconfig.build.json"), join(root, "tsconfig.json"), fileURLToPath(import.meta.url)];
  if (existsSync(stamp) && statSync(stamp).mtimeMs > newestMtime(allInputs)) {
    process.stderr.write(`build: ${name} is up to date\n`);
    return;
  }
  // A fresh dist/: a source file deleted since the last build must not live on in the package.
  rmSync(outDir, { recursive: true, force: true });
  execFileSync(process.execPath, [tsc, "-p", join(dir, "tsconfig.build.json")], { stdio: "inherit" });
  afterCompile();
  writeFileSync(stamp, "");
  process.stderr.write(`build: ${name} built into ${outDir}\n`);
}

const which = process.argv[2] ?? "all";
if (which === "all" || which === "weir-streams") {
  build("weir-streams", root, [join(root, "src")], () =>
    // The dashboard is plain browser files the HTTP server reads beside its own module (src/server/http-server.ts).
    cpSync(join(root, "src/server/dashboard"), join(root, "dist/server/dashboard"), { recursive: true }),
  );
}
if (which === "all" || which === "create-weir") {
  const dir = join(root, "packages/create-weir");
  build("create-weir", dir, [join(dir, "src"), join(dir, "template")]);
}
