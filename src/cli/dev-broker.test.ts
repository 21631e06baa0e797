import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { packageVersion } from "./dev-broker.ts";

test("the version comes from the nearest weir-streams package.json, also without scripts/kafka.sh (as in the image)", (t) => {
  const app = mkdtempSync(join(tmpdir(), "weir-version-"));
  t.after(() => rmSync(app, { recursive: true, force: true }));
  // /app/package.json is Weir's (the image); /app/dist/cli/package.json another package's, skipped.
  writeFileSync(join(app, "package.json"), JSON.stringify({ name: "weir-streams", version: "9.8.7" }));
  mkdirSync(join(app, "dist", "cli"), { recursive: true });
  writeFileSync(join(app, "dist", "package.json"), JSON.stringify({ name: "something-else", version: "1.0.0" }));
  assert.equal(packageVersion(join(app, "dist", "cli")), "9.8.7");
});

test("without a weir-streams package.json above, the error names where it looked from", () => {
  const lone = mkdtempSync(join(tmpdir(), "weir-no-version-"));
  try {
    assert.throws(() => packageVersion(lone), new RegExp(`no package.json of weir-streams above ${lone}`));
  } finally {
    rmSync(lone, { recursive: true, force: true });
  }
});
