import assert from "node:assert/strict";
import { test } from "node:test";
import { serdes } from "../serdes/serde.ts";
import { Nfa, type Match, type NfaState, type TimedOutMatch } from "./nfa.ts";
import { pattern, type Pattern } from "./pattern.ts";
import { nfaStateSerde } from "./state-serde.ts";

/** Events are names like "a1": the letter is the kind, conditions test it. */
type E = { readonly id: string; readonly n?: number };
const is = (kind: string) => (e: E) => e.id.startsWith(kind);

/** "a1 x1 b1@9000": events with timestamps, by default 1000 ms apart. */
function events(input: string): [E, number][] {
  return input.split(" ").map((token, i) => {
    const [id, at] = token.split("@");
    return [{ id: id! }, at === undefined ? i * 1000 : Number(at)];
  });
}

const show = (m: Match<E> | TimedOutMatch<E>) => Object.values(m.events).flat().map((e) => e.id).join(" ");

function run(p: Pattern<E>, input: string, state?: NfaState<E>) {
  const nfa = new Nfa(p);
  let s = state ?? nfa.initialState();
  const matches: string[] = [];
  const timeouts: string[] = [];
  for (const [e, ts] of events(input)) {
    const r = nfa.advance(s, e, ts);
    s = r.state;
    matches.push(...r.matches.map(show));
    timeouts.push(...r.timeouts.map(show));
  }
  return { matches, timeouts, state: s, nfa };
}

const ab = (link: "next" | "followedBy" | "followedByAny") => pattern<E>().begin("a").where(is("a"))[link]("b").where(is("b"));

test("next needs the very next event of the key; followedBy skips events that do not match", () => {
  assert.deepEqual(run(ab("next"), "a1 x1 b1").matches, []);
  assert.deepEqual(run(ab("next"), "a1 b1").matches, ["a1 b1"]);
  assert.deepEqual(run(ab("followedBy"), "a1 x1 b1").matches, ["a1 b1"]);
});

test("followedBy takes the first matching event only; followedByAny takes each later one too", () => {
  assert.deepEqual(run(ab("followedBy"), "a1 b1 b2").matches, ["a1 b1"]);
  assert.deepEqual(run(ab("followedByAny"), "a1 b1 b2").matches, ["a1 b1", "a1 b2"]);
});

test("every event may start a match, so matches overlap under noSkip", () => {
  assert.deepEqual(run(ab("followedBy"), "a1 a2 b1").matches, ["a1 b1", "a2 b1"]);
});

test("skipPastLastEvent drops the partial matches a match overlaps; later ones still match", () => {
  const p = pattern<E>({ afterMatch: "skipPastLastEvent" }).begin("a").where(is("a")).followedBy("b").where(is("b"));
  assert.deepEqual(run(p, "a1 a2 b1 a3 b2").matches, ["a1 b1", "a3 b2"]);
});

test("skipToNext drops only the partial matches that began with the match's first event", () => {
  const loop = (afterMatch: "noSkip" | "skipToNext") => pattern<E>({ afterMatch }).begin("a").where(is("a")).followedBy("b").where(is("b")).oneOrMore();
  assert.deepEqual(run(loop("noSkip"), "a1 a2 b1 b2").matches, ["a1 b1", "a2 b1", "a1 b1 b2", "a2 b1 b2"]);
  assert.deepEqual(run(loop("skipToNext"), "a1 a2 b1 b2").matches, ["a1 b1", "a2 b1"]);
});

test("times(n) takes n events, skipping others between them; consecutive() forbids that", () => {
  const p = pattern<E>().begin("a").where(is("a")).times(2).followedBy("b").where(is("b"));
  assert.deepEqual(run(p, "a1 x1 a2 a3 b1").matches, ["a1 a2 b1", "a2 a3 b1"]);
  const strict = pattern<E>().begin("a").where(is("a")).times(2).consecutive().followedBy("b").where(is("b"));
  assert.deepEqual(run(strict, "a1 x1 a2 a3 b1").matches, ["a2 a3 b1"]);
});

test("times(min, max) emits every count in the range", () => {
  const p = pattern<E>().begin("x").where(is("x")).followedBy("a").where(is("a")).times(2, 3);
  assert.deepEqual(run(p, "x1 a1 a2 a3 a4").matches, ["x1 a1 a2", "x1 a1 a2 a3"]);
});

test("oneOrMore is not greedy by default: the next stage may end the loop at any count", () => {
  const p = pattern<E>().begin("a").where(is("a")).followedBy("b").where(is("b")).oneOrMore().followedBy("c").where(is("c"));
  assert.deepEqual(run(p, "a1 b1 b2 c1").matches, ["a1 b1 b2 c1", "a1 b1 c1"]);
});

test("greedy() keeps taking events into the loop: only the longest match is emitted", () => {
  const p = pattern<E>().begin("a").where(is("a")).followedBy("b").where(is("b")).oneOrMore().greedy().followedBy("c").where(is("c"));
  assert.deepEqual(run(p, "a1 b1 b2 c1").matches, ["a1 b1 b2 c1"]);
});

test("greedy() yields an event the loop would also accept to the loop", () => {
  const any = (e: E) => e.id.startsWith("b") || e.id.startsWith("c");
  const p = pattern<E>().begin("b").where(any).oneOrMore().greedy().followedBy("c").where(is("c"));
  const lazy = pattern<E>().begin("b").where(any).oneOrMore().followedBy("c").where(is("c"));
  assert.ok(run(lazy, "b1 c1").matches.includes("b1 c1"));
  assert.deepEqual(run(p, "b1 c1").matches, []);
});

test("a oneOrMore stage at the end emits a match per event it takes", () => {
  const p = pattern<E>().begin("a").where(is("a")).followedBy("b").where(is("b")).oneOrMore();
  assert.deepEqual(run(p, "a1 b1 b2").matches, ["a1 b1", "a1 b1 b2"]);
});

test("an optional stage may be taken or skipped", () => {
  const p = pattern<E>().begin("a").where(is("a")).followedBy("b").where(is("b")).optional().followedBy("c").where(is("c"));
  assert.deepEqual(run(p, "a1 c1").matches, ["a1 c1"]);
  assert.deepEqual(run(p, "a1 b1 c1").matches, ["a1 b1 c1", "a1 c1"]);
});

test("within: a match spans less than the window; an older partial match times out", () => {
  const p = ab("followedBy").within(10_000);
  assert.deepEqual(run(p, "a1@0 b1@9999").matches, ["a1 b1"]);
  const late = run(p, "a1@0 b1@10000");
  assert.deepEqual(late.matches, []);
  assert.deepEqual(late.timeouts, ["a1"]);
});

test("advanceTime times out partial matches without an event, and the state forgets them", () => {
  const { state, nfa } = run(ab("followedBy").within(10_000), "a1@0 a2@4000");
  assert.equal(nfa.nextTimeout(state), 10_000);
  const early = nfa.advanceTime(state, 9_999);
  assert.deepEqual(early.timeouts, []);
  const r = nfa.advanceTime(early.state, 14_000);
  assert.deepEqual(r.timeouts.map((t) => [show(t), t.timeoutAt]), [["a1", 10_000], ["a2", 14_000]]);
  assert.deepEqual(r.state.runs, []);
  assert.deepEqual(r.state.events, []);
});

test("notFollowedBy: no event between the two stages may match", () => {
  const p = pattern<E>().begin("a").where(is("a")).notFollowedBy("x").where(is("x")).followedBy("b").where(is("b"));
  assert.deepEqual(run(p, "a1 b1").matches, ["a1 b1"]);
  assert.deepEqual(run(p, "a1 x1 b1").matches, []);
  assert.deepEqual(run(p, "a1 x1 a2 b1").matches, ["a2 b1"]);
});

test("notNext: only the event right after the stage may not match", () => {
  const p = pattern<E>().begin("a").where(is("a")).notNext("x").where(is("x")).followedBy("b").where(is("b"));
  assert.deepEqual(run(p, "a1 x1 b1").matches, []);
  assert.deepEqual(run(p, "a1 y1 x1 b1").matches, ["a1 b1"]);
});

test("a pattern ending in notFollowedBy matches when within passes without the event", () => {
  const p = pattern<E>().begin("a").where(is("a")).notFollowedBy("x").where(is("x")).within(10_000);
  const quiet = run(p, "a1@0 y1@3000");
  const done = quiet.nfa.advanceTime(quiet.state, 10_000);
  assert.deepEqual(done.matches.map((m) => [show(m), m.end]), [["a1", 10_000]]);
  assert.deepEqual(done.timeouts, []);
  const broken = run(p, "a1@0 x1@3000");
  assert.deepEqual(broken.nfa.advanceTime(broken.state, 10_000).matches, []);
});

test("an iterative condition sees the events the partial match took", () => {
  type Tx = { id: string; n?: number };
  const p = pattern<Tx>()
    .begin("small")
    .where((e) => (e.n ?? 0) < 10)
    .oneOrMore()
    .followedBy("big")
    .where((e, ctx) => (e.n ?? 0) > 2 * ctx.eventsFor("small").reduce((sum, s) => sum + (s.n ?? 0), 0));
  const nfa = new Nfa(p);
  let s = nfa.initialState();
  const out: string[] = [];
  for (const [i, n] of [4, 5, 15, 19].entries()) {
    const r = nfa.advance(s, { id: `t${i}`, n }, i);
    s = r.state;
    out.push(...r.matches.map(show));
  }
  // 15 > 2·4 ([t0]) and > 2·5 ([t1]) but not > 2·9 ([t0 t1]), which waits and takes 19 > 18.
  assert.deepEqual(out, ["t0 t2", "t1 t2", "t0 t1 t3"]);
});

test("a condition naming an unknown stage fails loudly", () => {
  const p = pattern<E>().begin("a").followedBy("b").where((_, ctx) => ctx.eventsFor("nope").length === 0);
  assert.throws(() => run(p, "a1 b1"), /stage nope/);
});

test("the state survives its serde mid-match and the match completes after it", () => {
  const p = pattern<E>().begin("a").where(is("a")).times(2).followedBy("b").where(is("b")).within(60_000);
  const first = run(p, "a1 a2");
  const serde = nfaStateSerde(serdes.json<E>());
  const restored = serde.deserialize(serde.serialize(first.state, "t"), "t");
  assert.deepEqual(restored, first.state);
  const nfa = first.nfa;
  const r = nfa.advance(restored, { id: "b1" }, 5000);
  assert.deepEqual(r.matches.map(show), ["a1 a2 b1"]);
});

test("events no partial match refers to are dropped from the state", () => {
  const { state } = run(ab("next"), "x1 x2 a1 x3 a2");
  assert.deepEqual(state.events.map((e) => e.value.id), ["a2"]);
  assert.equal(state.seq, 5);
});

test("patterns that cannot work are refused when built", () => {
  assert.throws(() => new Nfa(pattern<E>().begin("a").optional()), /every stage is optional/);
  assert.throws(() => new Nfa(pattern<E>().begin("a").notNext("x")), /cannot end a pattern/);
  assert.throws(() => new Nfa(pattern<E>().begin("a").notFollowedBy("x")), /needs within/);
  assert.throws(() => pattern<E>().begin("a").followedBy("a"), /two stages are named a/);
  assert.throws(() => pattern<E>().begin("a").optional().notFollowedBy("x"), /negated stage must follow/);
  assert.throws(() => pattern<E>().begin("a").times(0), /times\(0, 0\)/);
  assert.throws(() => pattern<E>().begin("a").greedy(), /looping stage/);
  assert.throws(() => pattern<E>().begin("a").consecutive(), /looping stage/);
});
