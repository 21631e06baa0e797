// Compares Kafka Streams' results (argv[2]) and Weir's (argv[3]); prints the first divergence of each scenario.
import { readFileSync } from "node:fs";
const ks = JSON.parse(readFileSync(process.argv[2]!, "utf8")), w = JSON.parse(readFileSync(process.argv[3]!, "utf8"));
const verbose = process.argv.includes("-v");
// -n: drop Kafka Streams' tombstone for a session immediately re-emitted under the same key (documented difference).
if (process.argv.includes("-n")) for (const r of ks) if (r.out && /sess/i.test(r.name)) r.out = r.out.filter((o: any, i: number, a: any[]) => !(o.value === null && a[i + 1] && a[i + 1].key === o.key && a[i + 1].value !== null));
const fmt = (o: any) => o ? `${o.key}=${JSON.stringify(o.value)}@${o.ts}` : "<none>";
let same = 0, diff = 0;
for (let i = 0; i < ks.length; i++) {
  const a = ks[i], b = w[i];
  if (a.error || b.error) { console.log(`${a.name}: ERROR ks=${a.error ?? "-"} weir=${(b.error ?? "-").split("\n")[0]}`); diff++; continue; }
  const n = Math.max(a.out.length, b.out.length);
  let first = -1;
  for (let j = 0; j < n; j++) if (fmt(a.out[j]) !== fmt(b.out[j])) { first = j; break; }
  if (first < 0) { same++; if (verbose) console.log(`${a.name}: same (${a.out.length} records)`); continue; }
  diff++;
  const sa=a.out.map(fmt).sort().join(";"), sb=b.out.map(fmt).sort().join(";");
  console.log(`${a.name}: ${sa===sb?"ORDER-ONLY ":""}DIFF at output #${first} (ks ${a.out.length} records, weir ${b.out.length})`);
  for (let j = Math.max(0, first - 2); j < Math.min(n, first + 4); j++) console.log(`   #${j} ks: ${fmt(a.out[j]).padEnd(32)} weir: ${fmt(b.out[j])}`);
}
console.log(`same=${same} diff=${diff}`);
