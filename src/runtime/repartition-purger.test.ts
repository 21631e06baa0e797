import { test } from "node:test";
import assert from "node:assert/strict";
import { createLogger } from "./logger.ts";
import { RepartitionPurger } from "./repartition-purger.ts";

function setup() {
  const deletes: [string, Record<number, string>][] = [];
  let clock = 1_000;
  const admin = {
    deleteRecordsBefore: (topic: string, offsets: ReadonlyMap<number, string>) => {
      deletes.push([topic, Object.fromEntries(offsets)]);
      return Promise.resolve();
    },
  };
  const purger = new RepartitionPurger(admin, ["app-x-repartition"], 100, createLogger("silent", {}), () => clock);
  return { purger, deletes, advance: (ms: number) => (clock += ms) };
}

test("committed offsets of repartition topics are purged once per interval, up to the latest offset per partition", async () => {
  const { purger, deletes, advance } = setup();
  purger.committed(new Map([["app-x-repartition:0", "5"], ["input:0", "9"]]));
  assert.equal(deletes.length, 0, "not before the interval has passed");
  purger.committed(new Map([["app-x-repartition:0", "8"], ["app-x-repartition:1", "3"]]));
  advance(100);
  purger.committed(new Map([["app-x-repartition:1", "4"]]));
  await purger.close();
  assert.deepEqual(deletes, [["app-x-repartition", { 0: "8", 1: "4" }]]);
});

test("an input topic that is not a repartition topic is never purged", async () => {
  const { purger, deletes, advance } = setup();
  advance(1_000);
  purger.committed(new Map([["input:0", "9"]]));
  await purger.close();
  assert.deepEqual(deletes, []);
});
