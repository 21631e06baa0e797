// Two fraud rules as CEP patterns over card transactions keyed by card, run through the operator.
import assert from "node:assert/strict";
import { test } from "node:test";
import { serdes } from "../serdes/serde.ts";
import { StreamsBuilder } from "../topology/streams-builder.ts";
import { cep } from "./cep.ts";
import type { Match, TimedOutMatch } from "./nfa.ts";
import { pattern } from "./pattern.ts";
import { TaskRun } from "./test-fixtures.ts";

type Tx = { readonly id: string; readonly amount: number; readonly country: string };
const MINUTE = 60_000;

/** Three or more small charges, then a large one, all within 10 minutes: one alert per burst. */
const smallThenLarge = pattern<Tx>({ afterMatch: "skipPastLastEvent" })
  .begin("small")
  .where((tx) => tx.amount < 20)
  .timesOrMore(3)
  .greedy()
  .followedBy("large")
  .where((tx) => tx.amount >= 500)
  .within(10 * MINUTE);

/** A transaction, then one in another country within an hour. */
const twoCountries = pattern<Tx>({ afterMatch: "skipPastLastEvent" })
  .begin("first")
  .followedBy("elsewhere")
  .where((tx, ctx) => tx.country !== ctx.eventsFor("first")[0]!.country)
  .within(60 * MINUTE);

function fraud(b: StreamsBuilder): void {
  const txs = b.stream("transactions", { key: serdes.string(), value: serdes.json<Tx>() });
  const alerts = { key: serdes.string(), value: serdes.json<Match<Tx>>() };
  const small = cep(txs, smallThenLarge, { store: "small-then-large" });
  small.matches.to("alerts-small-then-large", alerts);
  small.timeouts.to("bursts-without-large", { key: serdes.string(), value: serdes.json<TimedOutMatch<Tx>>() });
  cep(txs, twoCountries, { store: "two-countries" }).matches.to("alerts-two-countries", alerts);
}

function ids(value: unknown): Record<string, string[]> {
  const events = (value as Match<Tx>).events;
  return Object.fromEntries(Object.entries(events).map(([stage, txs]) => [stage, txs.map((tx) => tx.id)]));
}

test("fraud: small charges followed by a large one within 10 minutes raise one alert with the whole burst", () => {
  const run = TaskRun.of(fraud, new StreamsBuilder());
  const charge = (id: string, amount: number, minute: number) => run.pipe("transactions", "card-1", { id, amount, country: "FR" }, minute * MINUTE);
  charge("t1", 5, 0);
  charge("t2", 120, 1); // neither small nor large: skipped
  charge("t3", 3, 2);
  charge("t4", 9, 3);
  charge("t5", 7, 4);
  charge("t6", 900, 6);
  const alerts = run.take().filter((o) => o.topic === "alerts-small-then-large");
  assert.deepEqual(alerts.map((o) => [o.key, ids(o.value), o.timestamp]), [["card-1", { small: ["t1", "t3", "t4", "t5"], large: ["t6"] }, 6 * MINUTE]]);
  run.close();
});

test("fraud: a large charge more than 10 minutes after the burst began raises nothing, and the burst times out", () => {
  const run = TaskRun.of(fraud, new StreamsBuilder());
  const charge = (id: string, amount: number, minute: number) => run.pipe("transactions", "card-2", { id, amount, country: "FR" }, minute * MINUTE);
  charge("t1", 5, 0);
  charge("t2", 6, 1);
  charge("t3", 7, 2);
  charge("t4", 900, 10);
  const out = run.take();
  assert.deepEqual(out.filter((o) => o.topic === "alerts-small-then-large"), []);
  const timedOut = out.filter((o) => o.topic === "bursts-without-large").map((o) => ids(o.value).small!.join(" "));
  assert.ok(timedOut.includes("t1 t2 t3"), `the burst t1..t3 timed out (got ${timedOut.join(" | ")})`);
  run.close();
});

test("fraud: a card used in two countries within an hour raises one alert; two hours apart, none", () => {
  const run = TaskRun.of(fraud, new StreamsBuilder());
  const pay = (card: string, id: string, country: string, minute: number) => run.pipe("transactions", card, { id, amount: 40, country }, minute * MINUTE);
  pay("card-3", "t1", "FR", 0);
  pay("card-3", "t2", "FR", 10);
  pay("card-3", "t3", "DE", 30);
  pay("card-4", "u1", "FR", 0);
  pay("card-4", "u2", "DE", 120);
  const alerts = run.take().filter((o) => o.topic === "alerts-two-countries");
  assert.deepEqual(alerts.map((o) => [o.key, ids(o.value)]), [["card-3", { first: ["t1"], elsewhere: ["t3"] }]]);
  run.close();
});
