// The versions a generated project pins for its build tools: the ones this repository builds and tests with
// (scaffold.test.ts checks they match its package.json), so a scaffolded project installs from an npm cache
// that this repository's own `npm ci` filled.
export const devDependencyVersions = {
  "@types/node": "24.19.2",
  typescript: "6.0.3",
} as const;

/** The Node.js versions weir-streams supports (its package.json `engines`). */
export const nodeEngines = "^22.22.0 || >=24.6.0";
