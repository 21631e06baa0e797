// Generates randomized scenarios (fixed seeds). Usage: node gen.ts <seedStart> <count-per-topology> [topologies,comma] > file.json
function rng(seed: number) { let s = seed >>> 0; return () => { s = (s + 0x6d2b79f5) >>> 0; let t = s; t = Math.imul(t ^ (t >>> 15), t | 1); t ^= t + Math.imul(t ^ (t >>> 7), t | 61); return ((t ^ (t >>> 14)) >>> 0) / 4294967296; }; }
const all = ["count","reduce","aggregate","rekeyCount","rekeyAgg","tableCount","tableAgg","tableReduce","winCount","winAgg","winReduce","winSuppress","slideAgg","slideCount","slideSuppress","sessCount","sessAgg","sessReduce","sessSuppress"];
const seed0 = Number(process.argv[2] ?? 1), n = Number(process.argv[3] ?? 3);
const topos = process.argv[4] && process.argv[4] !== "all" ? process.argv[4].split(",") : all;
const nrec = Number(process.argv[5] ?? 200);
const nullRate = Number(process.argv[6] ?? 0.04), nullKeyRate = Number(process.argv[7] ?? 0.03);
const out: any[] = [];
for (const topo of topos) for (let i = 0; i < n; i++) {
  const seed = seed0 + i; const r = rng(seed * 7919 + topo.length * 31 + topo.charCodeAt(0));
  const nkeys = 3 + Math.floor(r() * 6);
  const params: any = {};
  params.size = [5, 10, 20][Math.floor(r() * 3)];
  params.advance = r() < 0.5 ? params.size : Math.max(1, Math.floor(params.size / [2, 3, 4][Math.floor(r() * 3)]));
  params.grace = [0, 2, 5, 10][Math.floor(r() * 4)];
  params.gap = [2, 5, 10][Math.floor(r() * 3)];
  params.diff = [3, 5, 10][Math.floor(r() * 3)];
  if (/win(Count|Agg)|slideAgg|sess(Count|Agg)/.test(topo) && r() < 0.4) params.onClose = 1;
  const records: any[] = []; let t = 0;
  const topic = topo.startsWith("table") ? "tin" : "in";
  for (let j = 0; j < nrec; j++) {
    t += Math.floor(r() * 4);
    let ts = t;
    const u = r();
    if (u < 0.15) ts = Math.max(0, t - Math.floor(r() * 8));        // slightly out of order
    else if (u < 0.22) ts = Math.max(0, t - 8 - Math.floor(r() * 30)); // late
    let key: string | null = "k" + Math.floor(r() * nkeys);
    let value: number | null = Math.floor(r() * 20) - 3;
    if (r() < nullKeyRate) key = null;
    if (r() < (topic === "tin" ? 0.12 : nullRate)) value = null;
    records.push({ topic, key, value, ts });
  }
  out.push({ name: `${topo}#${seed}`, topology: topo, params, records });
}
console.log(JSON.stringify(out));
