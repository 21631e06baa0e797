import { test } from "node:test";
import assert from "node:assert/strict";
import { syntaxErrorPosition, userFrame } from "./module-errors.ts";

test("the user's frame is the first one outside Weir's sources, Node and node_modules", () => {
  const stack = [
    "TypeError: boom",
    "    at KStream.to (file:///repo/src/topology/kstream.ts:306:22)",
    "    at helper (file:///repo/node_modules/x/index.js:1:1)",
    "    at file:///home/me/app/topology.ts:12:5",
    "    at ModuleJob.run (node:internal/modules/esm/module_job:561:25)",
  ].join("\n");
  assert.deepEqual(userFrame(stack, (f) => f.startsWith("/repo/src/")), { file: "/home/me/app/topology.ts", line: 12, column: 5 });
});

test("a syntax error's position is the file:line Node puts on the stack's first line", () => {
  const stack = "/home/me/app.ts:3\nconst y = x +;\n            ^\n\nSyntaxError [ERR_INVALID_TYPESCRIPT_SYNTAX]: Expression expected";
  assert.deepEqual(syntaxErrorPosition(stack), { file: "/home/me/app.ts", line: 3 });
  assert.equal(syntaxErrorPosition("SyntaxError: x\n    at foo"), undefined);
});
