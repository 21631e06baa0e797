// Runs the scenarios in a JSON file (argv[2]) through Weir's TopologyTestDriver; prints results as JSON.
import { readFileSync } from "node:fs";
import { StreamsBuilder, serdes, TimeWindows, SessionWindows, SlidingWindows, Suppressed, EmitStrategy } from "../../../src/index.ts";
import { TopologyTestDriver } from "../../../src/testing/index.ts";

const S = serdes.string();
const L = serdes.int64();
const mod3 = (v: number | null) => (v === null ? 9 : ((v % 3) + 3) % 3);

function wkey(t: any) {
  return t.toStream().map((wk: any, v: any) => [`${wk.key}@${wk.window.start}/${wk.window.end}`, v]);
}

function build(b: StreamsBuilder, topo: string, params: any): "long" | "string" {
  const p = (n: string, d: number) => (params && params[n] !== undefined ? params[n] : d);
  const size = p("size", 10), adv = p("advance", size), grace = p("grace", 0), gap = p("gap", 5), diff = p("diff", 10);
  const onClose = p("onClose", 0) === 1;
  const opts = onClose ? { emitStrategy: EmitStrategy.onWindowClose() } : {};
  const inS = () => b.stream("in", { key: S, value: L });
  const tw = () => TimeWindows.ofSizeAndGrace(size, grace).advanceBy(adv);
  const sw = () => SessionWindows.ofInactivityGapAndGrace(gap, grace);
  const slw = () => SlidingWindows.ofTimeDifferenceAndGrace(diff, grace);
  const outL = { key: S, value: L };
  const outS = { key: S, value: S };
  const tin = () => b.table("tin", { key: S, value: L }).groupBy((_k: string, v: number) => [`g${mod3(v)}`, v] as const, { key: S, value: L });
  const unb = () => Suppressed.untilWindowCloses(Suppressed.BufferConfig.unbounded());
  switch (topo) {
    case "count": inS().groupByKey().count().toStream().to("out", outL); return "long";
    case "reduce": inS().groupByKey().reduce((a: number, v: number) => a + v).toStream().to("out", outL); return "long";
    case "aggregate": inS().groupByKey().aggregate(() => "", (_k, v, a) => `${a},${v}`, { value: S }).toStream().to("out", outS); return "string";
    case "rekeyCount": inS().groupBy((_k, v) => `g${mod3(v)}`, { key: S, value: L }).count().toStream().to("out", outL); return "long";
    case "rekeyAgg": inS().groupBy((_k, v) => `g${mod3(v)}`, { key: S, value: L }).aggregate(() => "", (_k, v, a) => `${a},${v}`, { value: S }).toStream().to("out", outS); return "string";
    case "tableCount": tin().count().toStream().to("out", outL); return "long";
    case "tableAgg": tin().aggregate(() => "", (_k, v, a) => `${a}+${v}`, (_k, v, a) => `${a}-${v}`, { value: S }).toStream().to("out", outS); return "string";
    case "tableReduce": tin().reduce((a, v) => a + v, (a, v) => a - v).toStream().to("out", outL); return "long";
    case "winCount": wkey(inS().groupByKey().windowedBy(tw(), opts).count()).to("out", outL); return "long";
    case "winAgg": wkey(inS().groupByKey().windowedBy(tw(), opts).aggregate(() => "", (_k, v, a) => `${a},${v}`, { value: S })).to("out", outS); return "string";
    case "winReduce": wkey(inS().groupByKey().windowedBy(tw()).reduce((a: number, v: number) => a + v)).to("out", outL); return "long";
    case "winSuppress": wkey(inS().groupByKey().windowedBy(tw()).count().suppress(unb())).to("out", outL); return "long";
    case "slideAgg": wkey(inS().groupByKey().windowedBy(slw(), opts).aggregate(() => "", (_k, v, a) => `${a},${v}`, { value: S })).to("out", outS); return "string";
    case "slideCount": wkey(inS().groupByKey().windowedBy(slw()).count()).to("out", outL); return "long";
    case "slideSuppress": wkey(inS().groupByKey().windowedBy(slw()).count().suppress(unb())).to("out", outL); return "long";
    case "sessCount": wkey(inS().groupByKey().windowedBy(sw(), opts).count()).to("out", outL); return "long";
    case "sessAgg": wkey(inS().groupByKey().windowedBy(sw(), opts).aggregate(() => "", (_k, v, a) => `${a},${v}`, (_k, a1, a2) => `${a1}|${a2}`, { value: S })).to("out", outS); return "string";
    case "sessReduce": wkey(inS().groupByKey().windowedBy(sw()).reduce((a: number, v: number) => a + v)).to("out", outL); return "long";
    case "sessSuppress": wkey(inS().groupByKey().windowedBy(sw()).count().suppress(unb())).to("out", outL); return "long";
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
    const d = new TopologyTestDriver(b.build(), { cacheMaxBytes: 0, initialWallClockTimeMs: 0 });
    try {
      const ins = new Map<string, any>();
      for (const r of sc.records) if (!ins.has(r.topic)) ins.set(r.topic, d.createInputTopic(r.topic, S, L));
      for (const r of sc.records) ins.get(r.topic).pipeInput(r.key, r.value, r.ts);
      const out = d.createOutputTopic("out", S, outType === "long" ? L : S);
      res.out = out.readRecordsToList().map((o: any) => ({ key: o.key, value: o.value, ts: o.timestamp }));
    } finally {
      d.close();
    }
  } catch (e: any) {
    res.error = String(e?.stack ?? e);
  }
  results.push(res);
}
console.log(JSON.stringify(results, null, 2));
