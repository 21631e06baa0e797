// Prints KS and Weir outputs side by side for every scenario.
import { readFileSync } from "node:fs";
const ks = JSON.parse(readFileSync(process.argv[2]!, "utf8")), w = JSON.parse(readFileSync(process.argv[3]!, "utf8"));
const fmt = (o: any) => o ? `${o.key}=${JSON.stringify(o.value)}@${o.ts}` : "";
for (let i = 0; i < ks.length; i++) {
  const a = ks[i], b = w[i];
  const same = JSON.stringify(a.out) === JSON.stringify(b.out) && !a.error && !b.error;
  console.log(`== ${a.name} ${same ? "SAME" : "DIFF"}`);
  if (a.error || b.error) { console.log(`  ks err: ${a.error}\n  weir err: ${(b.error ?? "").split("\n")[0]}`); continue; }
  if (same && process.argv[4] !== "-a") continue;
  for (let j = 0; j < Math.max(a.out.length, b.out.length); j++) console.log(`  ${fmt(a.out[j]).padEnd(34)} | ${fmt(b.out[j])}`);
}
