// Finds and imports a topology module: a file, or a folder holding app.ts or index.ts. A module that fails to
// load fails with WEIR_MODULE_INVALID naming the file, line and frame of the user's code (module-errors.ts).
import { existsSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { isAppDefinition, type AppDefinition } from "../runtime/app-definition.ts";
import { WeirError } from "../runtime/errors.ts";
import { moduleLoadError } from "./module-errors.ts";

const entryFiles = ["app.ts", "index.ts", "app.js", "index.js"];

export async function loadApp(modulePath: string): Promise<AppDefinition> {
  let file = resolve(modulePath);
  if (!existsSync(file)) throw new WeirError("WEIR_MODULE_INVALID", `no file or folder at ${modulePath}`);
  if (statSync(file).isDirectory()) {
    const entry = entryFiles.map((f) => join(file, f)).find((f) => existsSync(f));
    if (!entry) throw new WeirError("WEIR_MODULE_INVALID", `folder ${modulePath} has none of ${entryFiles.join(", ")}`);
    file = entry;
  }
  let module: Record<string, unknown>;
  try {
    module = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (err) {
    throw moduleLoadError(file, err);
  }
  if (!isAppDefinition(module.default)) {
    const exported = Object.keys(module);
    const has = exported.length === 0 ? "it exports nothing" : `it exports ${exported.map((k) => (k === "default" ? `a default ${describeValue(module.default)}` : k)).join(", ")}`;
    throw new WeirError("WEIR_MODULE_INVALID", `${file} must \`export default app({ applicationId, topology, … })\`; ${has}`);
  }
  return module.default;
}

function describeValue(value: unknown): string {
  if (value === null) return "null";
  if (typeof value === "object") return (value).constructor?.name === "Topology" ? "Topology (wrap it: app({ applicationId, topology }))" : "object";
  return typeof value;
}
