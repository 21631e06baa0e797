// Finds and imports a topology module: a file, or a folder holding app.ts or index.ts.
import { existsSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { isAppDefinition, type AppDefinition } from "../runtime/app.ts";
import { WeirError } from "../runtime/errors.ts";

const entryFiles = ["app.ts", "index.ts", "app.js", "index.js"];

export async function loadApp(modulePath: string): Promise<AppDefinition> {
  let file = resolve(modulePath);
  if (!existsSync(file)) throw new WeirError("WEIR_MODULE_INVALID", `no file or folder at ${modulePath}`);
  if (statSync(file).isDirectory()) {
    const entry = entryFiles.map((f) => join(file, f)).find((f) => existsSync(f));
    if (!entry) throw new WeirError("WEIR_MODULE_INVALID", `folder ${modulePath} has none of ${entryFiles.join(", ")}`);
    file = entry;
  }
  const module = (await import(pathToFileURL(file).href)) as { default?: unknown };
  if (!isAppDefinition(module.default)) {
    throw new WeirError("WEIR_MODULE_INVALID", `${file} must \`export default app({ applicationId, topology, … })\``);
  }
  return module.default;
}
