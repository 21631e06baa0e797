import { test } from "node:test";
import assert from "node:assert/strict";
import { createTopicsFirst } from "./errors.ts";

test("a missing topic's message names the weir topics create command that creates it", () => {
  assert.equal(
    createTopicsFirst(["orders"], true),
    "create it first (Weir creates only its own internal topics): `weir topics create orders` creates it, or `weir topics create --for <module>` every topic the topology reads or writes",
  );
  assert.match(createTopicsFirst(["a", "b"], true), /create them first .*`weir topics create a b` creates them, or `weir topics create --for <module>`/);
});

test("a topic chooser's picks are not the topology's topics: no --for <module>, which would not create them", () => {
  assert.equal(createTopicsFirst(["audit-eu"], false), "create it first (Weir creates only its own internal topics): `weir topics create audit-eu` creates it");
});
