// node gen.ts <seedStart> <count> <topos|all> [nrec] > file.json
function rng(seed: number) { let s = seed >>> 0; return () => { s = (s + 0x6d2b79f5) >>> 0; let t = s; t = Math.imul(t ^ (t >>> 15), t | 1); t ^= t + Math.imul(t ^ (t >>> 7), t | 61); return ((t ^ (t >>> 14)) >>> 0) / 4294967296; }; }
const topics: Record<string, string[]> = {
  supCount: ["in"], supReduce: ["in"], supTable: ["tin"], supTableCount: ["tin"], cogroup: ["in", "in2"], cogroupRekey: ["in", "in2"], cogroupWin: ["in", "in2"],
  cogroupSlide: ["in", "in2"], cogroupSess: ["in", "in2"], selectKeyCount: ["in"], flatMap: ["in"], flatMapCount: ["in"], flatMapValues: ["in"], mergeOut: ["in", "in2"],
  mergeCount: ["in", "in2"], split: ["in"], mapToTable: ["in"], toTable: ["in"], toTableMapValues: ["in"], tableMapValues: ["tin"], tableFilter: ["tin"], tableReduce: ["tin"],
  tableReduceK: ["tin"], vjoin: ["in", "tin"], vleftJoin: ["in", "tin"], vtable: ["tin"], repartitionCount: ["in"], supMax: ["in"], supFilter: ["tin"], winSupLimit: ["in"], selectKeyWin: ["in"], gjoin: ["in", "gin"], gleftJoin: ["in", "gin"], vttJoin: ["tin", "tin2"], vttLeftJoin: ["tin", "tin2"], vtoTableJoin: ["in", "in2"], vtableCount: ["tin"], vtableMapValues: ["tin"], sessAggPlain: ["in"], vtoTableStream: ["in"], vttJoinR: ["tin", "tin2"], vtableFilter: ["tin"],
};
const seed0 = Number(process.argv[2] ?? 1), n = Number(process.argv[3] ?? 3);
const topos = process.argv[4] && process.argv[4] !== "all" ? process.argv[4].split(",") : Object.keys(topics);
const nrec = Number(process.argv[5] ?? 120);
const out: any[] = [];
for (const topo of topos) for (let i = 0; i < n; i++) {
  const seed = seed0 + i; const r = rng(seed * 7919 + topo.length * 31 + topo.charCodeAt(0) + topo.charCodeAt(topo.length - 1) * 7);
  const nkeys = 2 + Math.floor(r() * 4);
  const params: any = {};
  params.size = [5, 10, 20][Math.floor(r() * 3)];
  params.advance = r() < 0.5 ? params.size : Math.max(1, Math.floor(params.size / [2, 3, 4][Math.floor(r() * 3)]));
  params.grace = [0, 2, 5, 10][Math.floor(r() * 4)];
  params.gap = [2, 5, 10][Math.floor(r() * 3)];
  params.diff = [3, 5, 10][Math.floor(r() * 3)];
  params.limit = [0, 1, 3, 5, 10][Math.floor(r() * 5)];
  params.hr = [5, 10, 20, 50][Math.floor(r() * 4)];
  params.maxrec = 1 + Math.floor(r() * 3);
  params.jgrace = r() < 0.4 ? 0 : Math.min(params.hr, [1, 3, 5, 10][Math.floor(r() * 4)]);
  const records: any[] = []; let t = 0;
  const tps = topics[topo]!;
  for (let j = 0; j < nrec; j++) {
    t += Math.floor(r() * 4);
    let ts = t;
    const u = r();
    if (process.env.INORDER) {} else if (u < 0.15) ts = Math.max(0, t - Math.floor(r() * 8));
    else if (u < 0.22) ts = Math.max(0, t - 8 - Math.floor(r() * 30));
    const topic = tps[Math.floor(r() * tps.length)]!;
    let key: string | null = "k" + Math.floor(r() * nkeys);
    let value: number | null = Math.floor(r() * 20) - 3;
    if (r() < 0.03) key = null;
    if (r() < (topic.includes("tin") || topic === "gin" ? 0.12 : 0.05)) value = null;
    if (topo === "vleftJoin" && key === null) key = "k0";
    records.push({ topic, key, value, ts });
  }
  out.push({ name: `${topo}#${seed}`, topology: topo, params, records });
}
console.log(JSON.stringify(out));
