// A package-lock.json for a project outside this checkout that depends on a packed weir-streams tarball, built
// from this repository's own lock: every other package at the version (and integrity) this repository tested,
// so that `npm ci --offline` installs the project from the npm cache the repository's `npm ci` filled. (npm
// resolves a project without a lock from full registry metadata, which `npm ci` never caches.)
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";

interface LockEntry {
  readonly version?: string;
  readonly dependencies?: Record<string, string>;
  readonly optionalDependencies?: Record<string, string>;
  readonly peerDependencies?: Record<string, string>;
  readonly dev?: boolean;
  readonly [field: string]: unknown;
}

interface Lock {
  readonly packages: Record<string, LockEntry>;
}

export interface ProjectManifest {
  readonly name: string;
  readonly version: string;
  readonly dependencies: Record<string, string>;
  readonly devDependencies: Record<string, string>;
}

/** Where npm finds `dep` required from the package at `from`: its own node_modules, then each parent's. */
function locate(lock: Lock, from: string, dep: string): string | undefined {
  for (let base = from; ; ) {
    const candidate = base === "" ? `node_modules/${dep}` : `${base}/node_modules/${dep}`;
    if (lock.packages[candidate]) return candidate;
    if (base === "") return undefined;
    const cut = base.lastIndexOf("/node_modules/");
    base = cut === -1 ? "" : base.slice(0, cut);
  }
}

/** The lock's locations reachable from `roots` (name → the location that requires it), with what they need. */
function closure(lock: Lock, roots: Array<[from: string, dep: string]>): Set<string> {
  const seen = new Set<string>();
  const queue = [...roots];
  for (let next = queue.shift(); next; next = queue.shift()) {
    const location = locate(lock, next[0], next[1]);
    if (location === undefined || seen.has(location)) continue;
    seen.add(location);
    const entry = lock.packages[location]!;
    for (const dep of Object.keys({ ...entry.dependencies, ...entry.optionalDependencies, ...entry.peerDependencies })) queue.push([location, dep]);
  }
  return seen;
}

/**
 * The lock of `project`, whose `weir-streams` dependency is `file:<tarballSpec>` (the tarball at `tarballPath`).
 * weir-streams sits where the repository itself would, so its dependencies resolve to the repository's locations.
 */
export function offlineLockfile(repoRoot: string, project: ProjectManifest, tarballPath: string, tarballSpec: string): object {
  const lock = JSON.parse(readFileSync(join(repoRoot, "package-lock.json"), "utf8")) as Lock;
  const repo = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as LockEntry;
  const prodRoots = Object.keys(repo.dependencies ?? {}).map((dep): [string, string] => ["", dep]);
  const devRoots = Object.keys(project.devDependencies).map((dep): [string, string] => ["", dep]);
  for (const dep of Object.keys(project.devDependencies)) {
    if (!locate(lock, "", dep)) throw new Error(`${dep}, a devDependency of the generated project, is not in this repository's lock`);
  }
  const prod = closure(lock, prodRoots);
  const dev = closure(lock, devRoots);
  const packages: Record<string, LockEntry> = {
    "": { name: project.name, version: project.version, dependencies: project.dependencies, devDependencies: project.devDependencies },
    "node_modules/weir-streams": {
      version: repo.version,
      resolved: tarballSpec,
      integrity: `sha512-${createHash("sha512").update(readFileSync(tarballPath)).digest("base64")}`,
      license: repo.license,
      dependencies: repo.dependencies,
      bin: Object.fromEntries(Object.entries(repo.bin as Record<string, string>).map(([name, path]) => [name, path.replace(/^\.\//, "")])),
      engines: repo.engines,
    },
  };
  for (const location of [...new Set([...prod, ...dev])].sort()) {
    const { dev: _dev, ...entry } = lock.packages[location]!;
    packages[location] = prod.has(location) ? entry : { ...entry, dev: true };
  }
  return { name: project.name, version: project.version, lockfileVersion: 3, requires: true, packages };
}
