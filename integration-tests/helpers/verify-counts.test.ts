// The exactly-once verifier on synthetic output: it must pass exact output and name every kind of wrong one.
// Pure, no broker: `node --test integration-tests/helpers/verify-counts.test.ts`.
import { test } from "node:test";
import assert from "node:assert/strict";
import { describeReport, verifyCounts, type OutputRecord } from "./verify-counts.ts";

// k-1: amounts 5, 7, 1 (running sums 5, 12, 13); k-2: 2, 2 (2, 4); k-3: 10.
const expected = new Map<string, number[]>([
  ["k-1", [5, 7, 1]],
  ["k-2", [2, 2]],
  ["k-3", [10]],
]);

type Update = readonly [key: string, count: number, sum: number];

/** Output records as the app writes them: k-1 and k-3 in partition 0, k-2 in partition 1, offsets in order. */
function output(updates: readonly Update[], partitionOf: (key: string) => number = (k) => (k === "k-2" ? 1 : 0)): OutputRecord[] {
  const next = new Map<number, number>();
  return updates.map(([key, count, sum]) => {
    const partition = partitionOf(key);
    // Offsets jump by 2 as if a transaction marker followed each record, and pass 9 → 10+ so a string sort would fail.
    const offset = (next.get(partition) ?? 7) + 2;
    next.set(partition, offset);
    return { partition, offset: String(offset), key: Buffer.from(key), value: Buffer.from(JSON.stringify({ count, sum })) };
  });
}

const exact: Update[] = [
  ["k-1", 1, 5],
  ["k-2", 1, 2],
  ["k-1", 2, 12],
  ["k-3", 1, 10],
  ["k-2", 2, 4],
  ["k-1", 3, 13],
];

test("exact output passes: every key counts 1, 2, 3 … to its input records with the running sums", () => {
  const report = verifyCounts(expected, output(exact));
  assert.deepEqual(report.violations, []);
  assert.deepEqual(report.shortfalls, []);
  assert.equal(report.ok, true);
  assert.equal(report.complete, true);
  assert.equal(report.completeKeys, 3);
  assert.equal(report.inputRecords, 6);
  assert.equal(report.outputRecords, 6);
});

test("records are put in partition and numeric offset order before checking, whatever order they arrive in", () => {
  const records = output(exact);
  const report = verifyCounts(expected, [...records].reverse());
  assert.equal(report.ok, true, describeReport(report));
});

test("a gap in one key's counts is a violation naming the key and the missing update", () => {
  const report = verifyCounts(expected, output(exact.filter(([k, c]) => !(k === "k-1" && c === 2))));
  assert.equal(report.ok, false);
  assert.equal(report.violations.length, 1);
  assert.equal(report.violations[0]?.kind, "gap");
  assert.equal(report.violations[0]?.key, "k-1");
  assert.match(report.violations[0]?.message ?? "", /count 3 follows 1 .*update 2 is missing/);
});

test("a repeated update is a violation even when the final count and sum are right", () => {
  const withRepeat: Update[] = [["k-1", 1, 5], ["k-1", 2, 12], ["k-1", 2, 12], ["k-1", 3, 13], ["k-2", 1, 2], ["k-2", 2, 4], ["k-3", 1, 10]];
  const report = verifyCounts(expected, output(withRepeat));
  assert.equal(report.complete, true, "the last count of every key matches its input");
  assert.equal(report.ok, false);
  assert.deepEqual(
    report.violations.map((v) => [v.kind, v.key]),
    [["repeat", "k-1"]],
  );
});

test("counting again from 1 (state lost) is a repeat", () => {
  const restarted: Update[] = [["k-2", 1, 2], ["k-2", 1, 2], ["k-1", 1, 5], ["k-1", 2, 12], ["k-1", 3, 13], ["k-3", 1, 10]];
  const report = verifyCounts(expected, output(restarted));
  assert.deepEqual(
    report.violations.map((v) => [v.kind, v.key]),
    [["repeat", "k-2"]],
  );
  assert.deepEqual(
    report.shortfalls.map((s) => [s.kind, s.key]),
    [["incomplete", "k-2"]],
  );
});

test("a wrong final sum is a violation naming the key and both sums", () => {
  const wrongSum = exact.map(([k, c, s]): Update => (k === "k-1" && c === 3 ? [k, c, 14] : [k, c, s]));
  const report = verifyCounts(expected, output(wrongSum));
  assert.equal(report.complete, true);
  assert.equal(report.ok, false);
  assert.equal(report.violations[0]?.kind, "wrong-sum");
  assert.equal(report.violations[0]?.key, "k-1");
  assert.match(report.violations[0]?.message ?? "", /final sum \(update 3 of 3\) is 14 .*expected 13/);
});

test("a wrong intermediate sum is a violation too: every update carries the running sum", () => {
  const wrongSum = exact.map(([k, c, s]): Update => (k === "k-2" && c === 1 ? [k, c, 3] : [k, c, s]));
  const report = verifyCounts(expected, output(wrongSum));
  assert.deepEqual(
    report.violations.map((v) => [v.kind, v.key]),
    [["wrong-sum", "k-2"]],
  );
});

test("a key with no output at all is a shortfall, so the output is not complete", () => {
  const report = verifyCounts(expected, output(exact.filter(([k]) => k !== "k-3")));
  assert.deepEqual(report.violations, []);
  assert.equal(report.complete, false);
  assert.equal(report.ok, false);
  assert.deepEqual(
    report.shortfalls.map((s) => [s.kind, s.key]),
    [["missing-key", "k-3"]],
  );
  assert.equal(report.completeKeys, 2);
});

test("a key whose last update is short of its input is incomplete, not wrong: later records may still come", () => {
  const report = verifyCounts(expected, output(exact.slice(0, 5)));
  assert.deepEqual(report.violations, []);
  assert.deepEqual(
    report.shortfalls.map((s) => [s.kind, s.key]),
    [["incomplete", "k-1"]],
  );
});

test("a count beyond the key's input records is a violation", () => {
  const report = verifyCounts(expected, output([...exact, ["k-3", 2, 20]]));
  assert.deepEqual(
    report.violations.map((v) => [v.kind, v.key]),
    [["beyond-input", "k-3"]],
  );
});

test("an output key without input, a null key, and a malformed value are violations", () => {
  const records = output([...exact, ["k-9", 1, 1]]);
  records.push({ partition: 0, offset: "100", key: null, value: "{}" });
  records.push({ partition: 1, offset: "100", key: "k-2", value: "not json" });
  const report = verifyCounts(expected, records);
  assert.deepEqual(
    report.violations.map((v) => [v.kind, v.key]),
    [
      ["malformed", "k-2"],
      ["unexpected-key", "k-9"],
      ["malformed", "(null)"],
    ],
  );
});

test("one key's updates in two partitions are a violation: their order would mean nothing", () => {
  let n = 0;
  const report = verifyCounts(
    expected,
    output(exact, (k) => (k === "k-2" ? 1 : k === "k-1" && n++ === 2 ? 2 : 0)),
  );
  assert.equal(report.violations[0]?.kind, "split-partitions");
  assert.equal(report.violations[0]?.key, "k-1");
});

test("the description leads with the first offending key in input order", () => {
  const bad: Update[] = [["k-1", 1, 5], ["k-1", 3, 13], ["k-2", 1, 2], ["k-2", 1, 2], ["k-3", 1, 10]];
  const text = describeReport(verifyCounts(expected, output(bad)));
  const lines = text.split("\n");
  assert.match(lines[0] ?? "", /5 output records for 6 input records over 3 keys; 2 keys complete, 2 keys with wrong output, 1 keys short/);
  assert.match(lines[1] ?? "", /gap 1, repeat 1/);
  assert.match(lines[2] ?? "", /^ {2}\[gap\] k-1: count 3 follows 1/);
  assert.match(lines[3] ?? "", /^ {2}\[repeat\] k-2:/);
});

test("with order \"any\", running sums may follow another order than the input's; the final sum must still match", () => {
  // k-1's amounts taken as 7, 5, 1 (two input topics interleaved): running sums 7, 12, 13.
  const reordered: Update[] = [["k-1", 1, 7], ["k-2", 1, 2], ["k-1", 2, 12], ["k-3", 1, 10], ["k-2", 2, 4], ["k-1", 3, 13]];
  assert.equal(verifyCounts(expected, output(reordered)).ok, false, "in input order the first sum is wrong");
  assert.equal(verifyCounts(expected, output(reordered), "any").ok, true);
  const wrongFinal: Update[] = [...reordered.slice(0, 5), ["k-1", 3, 14]];
  const report = verifyCounts(expected, output(wrongFinal), "any");
  assert.equal(report.violations[0]?.kind, "wrong-sum");
});
