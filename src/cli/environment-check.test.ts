import { test } from "node:test";
import assert from "node:assert/strict";
import { editDistance, unknownVariableWarning, unknownWeirVariables } from "./environment-check.ts";

test("edit distance counts insertions, deletions and substitutions", () => {
  assert.equal(editDistance("WEIR_HTTP_PROT", "WEIR_HTTP_PORT"), 2);
  assert.equal(editDistance("abc", "abc"), 0);
  assert.equal(editDistance("", "abc"), 3);
});

test("a misspelt WEIR_ variable is named with the nearest known one; known and other variables are not", () => {
  const found = unknownWeirVariables({ WEIR_HTTP_PROT: "0", WEIR_HTTP_PORT: "0", WEIR_CACHE_DIR: "/x", HOME: "/root" });
  assert.deepEqual(found, [{ name: "WEIR_HTTP_PROT", nearest: "WEIR_HTTP_PORT" }]);
  assert.match(unknownVariableWarning(found[0]!), /WEIR_HTTP_PROT is not a Weir variable and is ignored; did you mean WEIR_HTTP_PORT\?/);
});

test("a WEIR_ variable near none of the known ones gets no guess", () => {
  assert.deepEqual(unknownWeirVariables({ WEIR_SOMETHING_ELSE_ENTIRELY: "1" }), [{ name: "WEIR_SOMETHING_ELSE_ENTIRELY", nearest: undefined }]);
});
