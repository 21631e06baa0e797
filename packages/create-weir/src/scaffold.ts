// Writes a new Weir service project: the template/ folder with the project's name filled in, plus the
// package.json and tsconfig files built here (they carry versions, so they are not template files).
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { devDependencyVersions, nodeEngines } from "./versions.ts";

/** Where the template and this package's package.json sit, from src/ in the repository or dist/ when installed. */
const packageDir = fileURLToPath(new URL("..", import.meta.url));
const templateDir = join(packageDir, "template");
const namePlaceholder = /__NAME__/g;
/** npm drops .gitignore from published packages, so the template holds these files under other names. */
const dotFiles: Record<string, string> = { gitignore: ".gitignore", dockerignore: ".dockerignore" };

export type ScaffoldErrorCode = "CREATE_WEIR_NAME_INVALID" | "CREATE_WEIR_DIR_NOT_EMPTY";

export class ScaffoldError extends Error {
  readonly code: ScaffoldErrorCode;
  constructor(code: ScaffoldErrorCode, message: string) {
    super(`${code}: ${message}`);
    this.name = "ScaffoldError";
    this.code = code;
  }
}

/** The version of create-weir, which is released together with (and at the same version as) weir-streams. */
export function createWeirVersion(): string {
  return (JSON.parse(readFileSync(join(packageDir, "package.json"), "utf8")) as { version: string }).version;
}

/**
 * The project's name is its npm name, its applicationId and the prefix of its topics, so it must be valid as all
 * three: lower case letters, digits, `-`, `.` and `_`, starting with a letter or digit.
 */
export function checkProjectName(name: string): string {
  if (!/^[a-z0-9][a-z0-9._-]{0,99}$/.test(name)) {
    throw new ScaffoldError(
      "CREATE_WEIR_NAME_INVALID",
      `"${name}" cannot name a project: use lower-case letters, digits, "-", "." and "_" (it becomes the npm name, the applicationId and the topics' prefix)`,
    );
  }
  return name;
}

export interface ScaffoldOptions {
  /** Defaults to the folder's name. */
  readonly name?: string;
  /** The weir-streams dependency; defaults to `^<create-weir's version>`. */
  readonly weirStreamsVersion?: string;
}

/** Writes the project into `dir` (which must be missing or empty); returns the paths written, relative to it. */
export function scaffold(dir: string, options: ScaffoldOptions = {}): string[] {
  const target = resolve(dir);
  const name = checkProjectName(options.name ?? basename(target));
  if (existsSync(target) && readdirSync(target).length > 0) {
    throw new ScaffoldError("CREATE_WEIR_DIR_NOT_EMPTY", `${dir} is not empty: choose a new folder`);
  }
  mkdirSync(target, { recursive: true });
  cpSync(templateDir, target, { recursive: true });
  const written: string[] = [];
  for (const file of filesUnder(target)) {
    const path = join(target, file);
    writeFileSync(path, readFileSync(path, "utf8").replace(namePlaceholder, name));
    const dotName = dotFiles[file];
    if (dotName) renameSync(path, join(target, dotName));
    written.push(dotName ?? file);
  }
  const json = (file: string, value: unknown) => {
    writeFileSync(join(target, file), `${JSON.stringify(value, null, 2)}\n`);
    written.push(file);
  };
  json("package.json", packageJson(name, options.weirStreamsVersion ?? `^${createWeirVersion()}`));
  json("tsconfig.json", tsconfig);
  json("tsconfig.build.json", tsconfigBuild);
  return written.sort();
}

function filesUnder(dir: string, prefix = ""): string[] {
  return readdirSync(join(dir, prefix)).flatMap((entry) => {
    const relative = prefix ? `${prefix}/${entry}` : entry;
    return statSync(join(dir, relative)).isDirectory() ? filesUnder(dir, relative) : [relative];
  });
}

function packageJson(name: string, weirStreamsVersion: string) {
  return {
    name,
    version: "0.1.0",
    private: true,
    type: "module",
    engines: { node: nodeEngines },
    scripts: {
      test: 'node --test "src/**/*.test.ts"',
      dev: "weir run src/app.ts",
      build: "tsc -p tsconfig.build.json",
      start: "weir run dist/app.js",
      typecheck: "tsc --noEmit",
    },
    dependencies: { "weir-streams": weirStreamsVersion },
    devDependencies: { ...devDependencyVersions },
  };
}

/** Type-checks src/ (tests included) as Node runs it: ESM, `.ts` imports, only erasable TypeScript syntax. */
const tsconfig = {
  compilerOptions: {
    target: "es2024",
    lib: ["es2024"],
    module: "nodenext",
    moduleResolution: "nodenext",
    types: ["node"],
    strict: true,
    noUncheckedIndexedAccess: true,
    verbatimModuleSyntax: true,
    erasableSyntaxOnly: true,
    allowImportingTsExtensions: true,
    rewriteRelativeImportExtensions: true,
    skipLibCheck: true,
    noEmit: true,
  },
  include: ["src"],
};

/** `npm run build`: src/ → dist/ (tests left out), the JavaScript `npm start` and the Docker image run. */
const tsconfigBuild = {
  extends: "./tsconfig.json",
  compilerOptions: { noEmit: false, rootDir: "src", outDir: "dist", sourceMap: true },
  exclude: ["src/**/*.test.ts"],
};
