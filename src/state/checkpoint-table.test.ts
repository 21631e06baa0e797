import assert from "node:assert/strict";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { readCheckpointOf } from "./checkpoint-table.ts";
import { StateFile } from "./state-file.ts";
import { stringStore, tempDir } from "./test-fixtures.ts";

test("a closed state file's checkpoint is read without opening it as a StateFile; a held, missing or foreign file reads as undefined", (t) => {
  const dir = tempDir(t);
  const path = join(dir, "app", "0_0.sqlite");
  const file = StateFile.open(path, { cacheMaxBytes: 1 << 20 });
  stringStore(file);
  file.restore("counts", [{ key: Buffer.from("k"), value: Buffer.from("v"), offset: "41" }], new Map([["app-counts-changelog:0", "42"]]));
  assert.equal(readCheckpointOf(path), undefined, "held by its StateFile (exclusive lock)");
  file.close();
  assert.deepEqual(readCheckpointOf(path), new Map([["app-counts-changelog:0", "42"]]));
  // The file still opens as a state file afterwards, with its data.
  const again = StateFile.open(path, { cacheMaxBytes: 1 << 20 });
  assert.equal(again.rebuilt, false);
  assert.deepEqual(again.checkpoint(), new Map([["app-counts-changelog:0", "42"]]));
  again.close();
  assert.equal(readCheckpointOf(join(dir, "app", "0_9.sqlite")), undefined);
  assert.equal(existsSync(join(dir, "app", "0_9.sqlite")), false, "a missing file is not created");
  writeFileSync(join(dir, "app", "0_8.sqlite"), "not sqlite");
  assert.equal(readCheckpointOf(join(dir, "app", "0_8.sqlite")), undefined);
});
