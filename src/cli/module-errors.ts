// Turns an error thrown while a topology module loads into one that points at the user's code: the file, the
// line, the frame of the user's own code that threw (not Weir's), and that line's source text.
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { WeirError } from "../runtime/errors.ts";

/** Weir's own sources (src/): a frame inside them is the library, not the user's code. */
const weirSources = resolve(dirname(fileURLToPath(import.meta.url)), "..");

export interface SourcePosition {
  readonly file: string;
  readonly line: number;
  readonly column?: number;
}

/**
 * Where a syntax error points: Node prints `<file>:<line>` on the first line of the stack of a module it could
 * not parse (TypeScript or JavaScript), then the source line and a caret.
 */
export function syntaxErrorPosition(stack: string): SourcePosition | undefined {
  const first = stack.split("\n", 1)[0] ?? "";
  const match = /^(.+):(\d+)$/.exec(first);
  if (!match) return undefined;
  return { file: toPath(match[1]!), line: Number(match[2]) };
}

/** The first stack frame in a file that is neither Weir's nor Node's: the user's code that threw. */
export function userFrame(stack: string, isLibrary: (file: string) => boolean = isWeirSource): SourcePosition | undefined {
  for (const line of stack.split("\n")) {
    const match = /^\s+at (?:.*? \()?(.+?):(\d+):(\d+)\)?$/.exec(line);
    if (!match) continue;
    const location = match[1]!;
    if (location.startsWith("node:") || location === "<anonymous>" || location.includes("/node_modules/")) continue;
    const file = toPath(location);
    if (isLibrary(file)) continue;
    return { file, line: Number(match[2]), column: Number(match[3]) };
  }
  return undefined;
}

function isWeirSource(file: string): boolean {
  return file.startsWith(weirSources + "/");
}

function toPath(location: string): string {
  return location.startsWith("file://") ? fileURLToPath(location) : location;
}

/** The text of a line of a file, trimmed; undefined when the file cannot be read. */
function sourceLine(position: SourcePosition): string | undefined {
  try {
    return readFileSync(position.file, "utf8").split("\n")[position.line - 1]?.trim();
  } catch {
    return undefined;
  }
}

/**
 * WEIR_MODULE_INVALID for an error `import(file)` threw: a syntax error, an exception at the module's top level
 * (a missing import, a DSL check such as `to()` without serdes, `build()` refusing the topology). Names the error,
 * then `at <file>:<line>:<column>` of the user's frame and its source line.
 */
export function moduleLoadError(file: string, error: unknown): WeirError {
  if (!(error instanceof Error)) return new WeirError("WEIR_MODULE_INVALID", `${file} failed to load: ${String(error)}`);
  const stack = error.stack ?? "";
  const position = error instanceof SyntaxError ? (syntaxErrorPosition(stack) ?? userFrame(stack)) : userFrame(stack);
  const kind = error.name === "Error" || error.name === "WeirError" ? "" : `${error.name}: `;
  const lines = [`${position?.file ?? file} failed to load: ${kind}${error.message}`];
  if (position) {
    lines.push(`    at ${position.file}:${position.line}${position.column === undefined ? "" : `:${position.column}`}`);
    const text = sourceLine(position);
    if (text) lines.push(`    ${position.line} | ${text}`);
  }
  return new WeirError("WEIR_MODULE_INVALID", lines.join("\n"), { cause: error });
}
