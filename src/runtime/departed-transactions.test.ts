import { test } from "node:test";
import assert from "node:assert/strict";
import type { TaskOutput } from "../kafka/index.ts";
import { DepartedTransactions } from "./departed-transactions.ts";
import { InstanceMap } from "./instance-map.ts";
import { createLogger } from "./logger.ts";

/** A producer per transactional id that records InitProducerId and close; "app-broken" cannot init. */
function producers(calls: string[]): (id: string) => TaskOutput {
  return (id) => ({
    init: async () => {
      calls.push(`init ${id}`);
      if (id === "app-broken") throw new Error("coordinator not available");
    },
    commit: () => Promise.reject(new Error("a departed instance's producer never commits")),
    close: async () => {
      calls.push(`close ${id}`);
    },
  });
}

const mapOf = (...ids: string[]) => new InstanceMap(new Map(), new Map(), [], new Map(), new Map(), new Map(), ids);

test("the ids a new map lacks get one InitProducerId each (aborting what they left open) from the remaining member with the least id; a failure is not fatal", async () => {
  const calls: string[] = [];
  const b = new DepartedTransactions("app-b", producers(calls), createLogger("silent", {}));
  const c = new DepartedTransactions("app-c", producers(calls), createLogger("silent", {}));
  for (const member of [b, c]) member.assigned(mapOf("app-a", "app-b", "app-broken", "app-c"), mapOf("app-c", "app-b"));
  await Promise.all([b.close(), c.close()]);
  assert.deepEqual(calls.sort(), ["close app-a", "close app-broken", "init app-a", "init app-broken"], "B fenced A and the broken one, once; C left it to B");
});

test("nothing is fenced without a previous map, when no member left, or for a member that only joined", async () => {
  const calls: string[] = [];
  const a = new DepartedTransactions("app-a", producers(calls), createLogger("silent", {}));
  a.assigned(undefined, mapOf("app-a"));
  a.assigned(mapOf("app-a", "app-b"), undefined);
  a.assigned(mapOf("app-a", "app-b"), mapOf("app-b", "app-a"));
  a.assigned(mapOf("app-a"), mapOf("app-a", "app-z"));
  await a.close();
  assert.deepEqual(calls, []);
});

test("a lone member (its client assigns it without the assignor) fences everyone who left", async () => {
  const calls: string[] = [];
  const z = new DepartedTransactions("app-z", producers(calls), createLogger("silent", {}));
  z.assigned(mapOf("app-a", "app-z"), mapOf("app-z"));
  await z.close();
  assert.deepEqual(calls, ["init app-a", "close app-a"]);
});
