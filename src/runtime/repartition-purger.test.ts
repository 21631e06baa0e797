import { test } from "node:test";
import assert from "node:assert/strict";
import { createLogger } from "./logger.ts";
import { RepartitionPurger } from "./repartition-purger.ts";

function setup(intervalMs: number) {
  const deletes: [string, Record<number, string>][] = [];
  const admin = {
    deleteRecordsBefore: (topic: string, offsets: ReadonlyMap<number, string>) => {
      deletes.push([topic, Object.fromEntries(offsets)]);
      return Promise.resolve();
    },
  };
  const purger = new RepartitionPurger(admin, ["app-x-repartition"], intervalMs, createLogger("silent", {}));
  return { purger, deletes };
}

async function until(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!condition() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
}

test("commits within one interval become one purge, up to the latest committed offset per partition", async () => {
  const { purger, deletes } = setup(200);
  purger.committed(new Map([["app-x-repartition:0", "5"], ["input:0", "9"]]));
  purger.committed(new Map([["app-x-repartition:0", "8"], ["app-x-repartition:1", "3"]]));
  assert.equal(deletes.length, 0, "nothing is deleted before the interval has passed");
  await until(() => deletes.length > 0);
  await purger.close();
  assert.deepEqual(deletes, [["app-x-repartition", { 0: "8", 1: "3" }]]);
});

test("an input topic that is not a repartition topic is never purged", async () => {
  const { purger, deletes } = setup(1);
  purger.committed(new Map([["input:0", "9"]]));
  await new Promise((r) => setTimeout(r, 30));
  await purger.close();
  assert.deepEqual(deletes, []);
});

test("close() stops a pending purge", async () => {
  const { purger, deletes } = setup(20);
  purger.committed(new Map([["app-x-repartition:0", "5"]]));
  await purger.close();
  await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(deletes, []);
});
