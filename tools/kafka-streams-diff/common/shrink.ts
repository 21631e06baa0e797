// node ../common/shrink.ts file.json (from aggregations/ or more/) scenarioName [-n] [-o]   (-n: drop KS session tombstone re-emitted under same key; -o: count order-only as divergence)
import { readFileSync, writeFileSync } from "node:fs";
import { execSync } from "node:child_process";
const all = JSON.parse(readFileSync(process.argv[2]!, "utf8"));
let sc = all.find((s: any) => s.name === process.argv[3]);
const dropN = process.argv.includes("-n"), orderToo = process.argv.includes("-o");
const fmt = (o: any) => `${o.key}=${JSON.stringify(o.value)}@${o.ts}`;
const norm = (out: any[]) => dropN && /sess/i.test(sc.topology) ? out.filter((o: any, i: number, a: any[]) => !(o.value === null && a[i + 1] && a[i + 1].key === o.key && a[i + 1].value !== null)) : out;
const diverges = (res: [any, any]) => {
  if (res[0].error || res[1].error) return false;
  const a = norm(res[0].out).map(fmt), b = res[1].out.map(fmt);
  if (a.join(";") === b.join(";")) return false;
  return orderToo || [...a].sort().join(";") !== [...b].sort().join(";");
};
function runBatch(cands: any[]): [any, any][] {
  writeFileSync("shrink.tmp.json", JSON.stringify(cands));
  const ks = JSON.parse(execSync("java -cp 'java/target/*:java/target/lib/*' diff.Main shrink.tmp.json", { maxBuffer: 1 << 28 }).toString());
  const w = JSON.parse(execSync("node weir.ts shrink.tmp.json", { maxBuffer: 1 << 28 }).toString());
  return cands.map((_, i) => [ks[i], w[i]]);
}
for (;;) {
  const recs = sc.records; const n = recs.length; const cands: any[] = [];
  for (let size = Math.max(1, n >> 1); size >= 1; size = size >> 1) {
    for (let i = 0; i < n; i += size) cands.push({ ...sc, name: `c${cands.length}`, records: [...recs.slice(0, i), ...recs.slice(i + size)] });
    if (size === 1) break;
  }
  const res = runBatch(cands.slice(0, 400));
  let best: any = null;
  for (let i = 0; i < res.length; i++) if (diverges(res[i]!) && (!best || cands[i].records.length < best.records.length)) best = cands[i];
  if (!best) break;
  sc = best;
  process.stderr.write(`${sc.records.length} `);
}
const [k, w] = runBatch([sc])[0]!;
console.log(`${process.argv[3]} topology=${sc.topology} params=${JSON.stringify(sc.params)}`);
console.log("input: " + sc.records.map((r: any) => `${r.topic}:${r.key}:${r.value}@${r.ts}`).join(" "));
console.log(`  ${"KS".padEnd(40)} | Weir`);
for (let j = 0; j < Math.max(k.out.length, w.out.length); j++) console.log(`  ${(k.out[j] ? fmt(k.out[j]) : "").padEnd(40)} | ${w.out[j] ? fmt(w.out[j]) : ""}`);
