import assert from "node:assert/strict";
import { test } from "node:test";
import { reachedEnd } from "./bounded-service.ts";

test("a bounded service is done once every input partition's committed offset reaches the end noted at start", () => {
  const noted = { ends: new Map([["in:0", 10n], ["in:1", 5n], ["in:2", 0n], ["in:3", 7n]]), empty: new Set(["in:3"]) };
  assert.equal(reachedEnd(noted, new Map([["in:0", "10"]])), false, "in:1 has no committed offset");
  assert.equal(reachedEnd(noted, new Map([["in:0", "10"], ["in:1", "4"]])), false, "in:1 is one record short");
  assert.equal(reachedEnd(noted, new Map([["in:0", "10"], ["in:1", "-1"]])), false);
  // An empty partition (end 0) and one whose records were all deleted need no commit.
  assert.equal(reachedEnd(noted, new Map([["in:0", "12"], ["in:1", "5"]])), true);
});
