// Runs the scenarios in a JSON file (argv[2]) through Weir's TopologyTestDriver; prints results as JSON.
import { readFileSync } from "node:fs";
import { StreamsBuilder, serdes, TimeWindows, SessionWindows, SlidingWindows, Suppressed } from "../../../src/index.ts";
import { TopologyTestDriver } from "../../../src/testing/index.ts";

const S = serdes.string();
const L = serdes.int64();
const mod3 = (v: number | null) => (v === null ? 9 : ((v % 3) + 3) % 3);
function wkey(t: any) { return t.toStream().map((wk: any, v: any) => [`${wk.key}@${wk.window.start}/${wk.window.end}`, v]); }

function build(b: StreamsBuilder, topo: string, params: any): "long" | "string" {
  const p = (n: string, d: number) => (params && params[n] !== undefined ? params[n] : d);
  const size = p("size", 10), adv = p("advance", size), grace = p("grace", 0), gap = p("gap", 5), diff = p("diff", 10);
  const limit = p("limit", 5), hr = p("hr", 20), jgrace = p("jgrace", 0);
  const oL = { key: S, value: L }, oS = { key: S, value: S };
  const tw = () => TimeWindows.ofSizeAndGrace(size, grace).advanceBy(adv);
  const sw = () => SessionWindows.ofInactivityGapAndGrace(gap, grace);
  const slw = () => SlidingWindows.ofTimeDifferenceAndGrace(diff, grace);
  const sup = () => Suppressed.untilTimeLimit(limit, Suppressed.BufferConfig.unbounded());
  const inS = () => b.stream("in", { key: S, value: L });
  const in2 = () => b.stream("in2", { key: S, value: L });
  const tin = () => b.table("tin", { key: S, value: L });
  const vtin = () => b.table("tin", { key: S, value: L, store: "vt", versioned: { historyRetention: hr } });
  const cg = (g1: any) => g1.cogroup((_k: any, v: any, a: string) => `${a},a${v}`).cogroup(in2().groupByKey(), (_k: any, v: any, a: string) => `${a},b${v}`);
  const sfx = (v: any) => (v === null ? "null" : String(v));
  switch (topo) {
    case "supCount": inS().groupByKey().count().suppress(sup()).toStream().to("out", oL); return "long";
    case "supReduce": inS().groupByKey().reduce((a: number, v: number) => a + v).suppress(sup()).toStream().to("out", oL); return "long";
    case "supTable": tin().suppress(sup()).toStream().to("out", oL); return "long";
    case "supTableCount": tin().groupBy((_k: string, v: number) => [`g${mod3(v)}`, v] as const, { key: S, value: L }).count().suppress(sup()).toStream().to("out", oL); return "long";
    case "cogroup": cg(inS().groupByKey()).aggregate(() => "", { value: S }).toStream().to("out", oS); return "string";
    case "cogroupRekey": cg(inS().groupBy((_k: any, v: any) => `k${mod3(v)}`, { key: S, value: L })).aggregate(() => "", { value: S }).toStream().to("out", oS); return "string";
    case "cogroupWin": wkey(cg(inS().groupByKey()).windowedBy(tw()).aggregate(() => "", { value: S })).to("out", oS); return "string";
    case "cogroupSlide": wkey(cg(inS().groupByKey()).windowedBy(slw()).aggregate(() => "", { value: S })).to("out", oS); return "string";
    case "cogroupSess": wkey(cg(inS().groupByKey()).windowedBy(sw()).aggregate(() => "", (_k: any, a1: string, a2: string) => `${a1}|${a2}`, { value: S })).to("out", oS); return "string";
    case "sessAggPlain": wkey(inS().groupByKey().windowedBy(sw()).aggregate(() => "", (_k: any, v: any, a: string) => `${a},a${v}`, (_k: any, a1: string, a2: string) => `${a1}|${a2}`, { value: S })).to("out", oS); return "string";
    case "vtableCount": vtin().groupBy((_k: string, v: number) => [`g${mod3(v)}`, v] as const, { key: S, value: L }).count().toStream().to("out", oL); return "long";
    case "vtableMapValues": vtin().mapValues((v: number) => v * 10).toStream().to("out", oL); return "long";
    case "supMax": inS().groupByKey().count().suppress(Suppressed.untilTimeLimit(limit, Suppressed.BufferConfig.maxRecords(p("maxrec", 2)))).toStream().to("out", oL); return "long";
    case "supFilter": tin().filter((_k, v: number) => v % 2 === 0).suppress(sup()).toStream().to("out", oL); return "long";
    case "winSupLimit": wkey(inS().groupByKey().windowedBy(tw()).count().suppress(sup())).to("out", oL); return "long";
    case "selectKeyWin": wkey(inS().selectKey((_k, v) => `g${mod3(v)}`).groupByKey({ key: S, value: L }).windowedBy(tw()).count()).to("out", oL); return "long";
    case "gjoin": inS().join(b.globalTable("gin", { key: S, value: L, store: p("gstore", 0) ? undefined as any : "gstore" }), (_k: any, v: any) => `k${mod3(v)}`, (v: any, g: any) => `${sfx(v)}|${sfx(g)}`).to("out", oS as any); return "string";
    case "gleftJoin": inS().leftJoin(b.globalTable("gin", { key: S, value: L, store: p("gstore", 0) ? undefined as any : "gstore" }), (_k: any, v: any) => `k${mod3(v)}`, (v: any, g: any) => `${sfx(v)}|${sfx(g)}`).to("out", oS as any); return "string";
    case "vttJoin": vtin().join(b.table("tin2", { key: S, value: L }), (a: any, c: any) => `${sfx(a)}|${sfx(c)}`).toStream().to("out", oS as any); return "string";
    case "vttLeftJoin": vtin().leftJoin(b.table("tin2", { key: S, value: L }), (a: any, c: any) => `${sfx(a)}|${sfx(c)}`).toStream().to("out", oS as any); return "string";
    case "vtoTableJoin": in2().join(inS().toTable({ key: S, value: L, store: "vt2", versioned: { historyRetention: hr } } as any), (v: any, t: any) => `${sfx(v)}|${sfx(t)}`, { gracePeriod: jgrace } as any).to("out", oS as any); return "string";
    case "vtoTableStream": inS().toTable({ key: S, value: L, store: "vt2", versioned: { historyRetention: hr } } as any).toStream().to("out", oL); return "long";
    case "vttJoinR": b.table("tin2", { key: S, value: L }).join(vtin(), (a: any, c: any) => `${sfx(a)}|${sfx(c)}`).toStream().to("out", oS as any); return "string";
    case "vtableFilter": vtin().filter((_k, v: number) => v % 2 === 0).toStream().to("out", oL); return "long";
    case "selectKeyCount": inS().selectKey((_k, v) => `g${mod3(v)}`).groupByKey({ key: S, value: L }).count().toStream().to("out", oL); return "long";
    case "flatMap": inS().flatMap((k, v) => { const l: [string, number][] = []; if (v !== null) for (let i = 0; i < mod3(v); i++) l.push([`${k}_${i}`, v + i]); return l; }).to("out", oL); return "long";
    case "flatMapCount": inS().flatMap((_k, v) => { const l: [string, number][] = []; if (v !== null) for (let i = 0; i < mod3(v); i++) l.push([`g${i}`, v + i]); return l; }).groupByKey({ key: S, value: L }).count().toStream().to("out", oL); return "long";
    case "flatMapValues": inS().flatMapValues((v) => { const l: (number | null)[] = []; if (v === null) l.push(null); else for (let i = 0; i < mod3(v); i++) l.push(v * 10 + i); return l; }).to("out", oL as any); return "long";
    case "mergeOut": inS().merge(in2().mapValues((v) => (v === null ? null : v * 100)) as any).to("out", oL); return "long";
    case "mergeCount": inS().merge(in2()).groupByKey().count().toStream().to("out", oL); return "long";
    case "split": {
      const m: any = inS().split({ name: "s-" }).branch((_k, v) => v !== null && v < 0, { name: "neg" }).branch((_k, v) => v !== null && v % 2 === 0, { name: "even" }).defaultBranch({ name: "def" });
      m["s-neg"].mapValues((v: any) => `neg:${sfx(v)}`).merge(m["s-even"].mapValues((v: any) => `even:${sfx(v)}`)).merge(m["s-def"].mapValues((v: any) => `def:${sfx(v)}`)).to("out", oS); return "string"; }
    case "mapToTable": inS().map((k, v) => [k === null ? null : `${k}-${mod3(v)}`, v] as any).toTable({ key: S, value: L } as any).toStream().to("out", oL as any); return "long";
    case "toTable": inS().toTable({ key: S, value: L }).toStream().to("out", oL); return "long";
    case "toTableMapValues": inS().toTable({ key: S, value: L }).mapValues((v: number) => v * 10).toStream().to("out", oL); return "long";
    case "tableMapValues": tin().mapValues((v: number) => v * 10).toStream().to("out", oL); return "long";
    case "tableFilter": tin().filter((_k, v: number) => v % 2 === 0).toStream().to("out", oL); return "long";
    case "tableReduce": tin().groupBy((_k: string, v: number) => [`g${mod3(v)}`, v] as const, { key: S, value: L }).reduce((a, v) => a + v, (a, v) => a - v).toStream().to("out", oL); return "long";
    case "tableReduceK": tin().groupBy((k: string, v: number) => [k.substring(0, 2) + (v % 2 === 0 ? "e" : "o"), v * 10] as const, { key: S, value: L }).reduce((a, v) => a + v, (a, v) => a - v).toStream().to("out", oL); return "long";
    case "vjoin": inS().join(vtin(), (v: any, t: any) => `${sfx(v)}|${sfx(t)}`, { gracePeriod: jgrace } as any).to("out", oS as any); return "string";
    case "vleftJoin": inS().leftJoin(vtin(), (v: any, t: any) => `${sfx(v)}|${sfx(t)}`, { gracePeriod: jgrace } as any).to("out", oS as any); return "string";
    case "vtable": vtin().toStream().to("out", oL); return "long";
    case "repartitionCount": inS().repartition({ key: S, value: L }).groupByKey().count().toStream().to("out", oL); return "long";
    default: throw new Error(`unknown topology ${topo}`);
  }
}

const scenarios = JSON.parse(readFileSync(process.argv[2]!, "utf8"));
const results: any[] = [];
for (const sc of scenarios) {
  const res: any = { name: sc.name };
  try {
    const b = new StreamsBuilder();
    const outType = build(b, sc.topology, sc.params);
    const d = new TopologyTestDriver(b.build(), { cacheMaxBytes: 0, initialWallClockTimeMs: 0 } as any);
    try {
      const ins = new Map<string, any>();
      for (const r of sc.records) if (!ins.has(r.topic)) ins.set(r.topic, d.createInputTopic(r.topic, S, L));
      for (const r of sc.records) ins.get(r.topic).pipeInput(r.key, r.value, r.ts);
      const out = d.createOutputTopic("out", S, outType === "long" ? L : S);
      res.out = out.readRecordsToList().map((o: any) => ({ key: o.key, value: o.value, ts: o.timestamp }));
    } finally { d.close(); }
  } catch (e: any) { res.error = String(e?.stack ?? e); }
  results.push(res);
}
console.log(JSON.stringify(results, null, 2));
