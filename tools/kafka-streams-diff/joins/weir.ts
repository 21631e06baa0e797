import { readFileSync, writeFileSync } from "node:fs";
const SRC = process.env.WEIR_SRC ?? new URL("../../../src", import.meta.url).pathname;
const { StreamsBuilder, serdes, JoinWindows } = await import(SRC + "/index.ts");
const { TopologyTestDriver } = await import(SRC + "/testing/index.ts");

const S = { key: serdes.string(), value: serdes.string() };
const fk = (v: string | null | undefined): string | null => {
  if (v == null) return null;
  const p = v.split(":")[0]!;
  return p === "n" ? null : p;
};
const keep = (v: string | null | undefined) => v != null && !v.startsWith("x");
const j = (a: unknown, b: unknown) => `${a === undefined ? "UNDEF" : a}+${b === undefined ? "UNDEF" : b}`;

function build(t: any) {
  const b = new StreamsBuilder();
  const kind = t.kind ?? "inner";
  switch (t.type) {
    case "ss": {
      const l = b.stream("L", S), r = b.stream("R", S);
      let w = t.grace === null ? JoinWindows.ofTimeDifferenceWithNoGrace(Math.max(t.before, t.after)) : JoinWindows.ofTimeDifferenceAndGrace(Math.max(t.before, t.after), t.grace);
      w = w.before(t.before).after(t.after);
      const o = kind === "inner" ? l.join(r, j, w) : kind === "left" ? l.leftJoin(r, j, w) : l.outerJoin(r, j, w);
      o.to("out", S);
      break;
    }
    case "st": {
      const l = b.stream("L", S);
      let r = b.table("R", S);
      if (t.filterRight) r = r.filter((_k, v) => keep(v));
      (kind === "inner" ? l.join(r, j) : l.leftJoin(r, j)).to("out", S);
      break;
    }
    case "tt": {
      let l = b.table("L", S), r = b.table("R", S);
      if (t.filterLeft) l = l.filter((_k, v) => keep(v));
      if (t.filterRight) r = r.filter((_k, v) => keep(v));
      if (t.mapLeft) l = l.mapValues((v) => `${v}!`);
      let o = kind === "inner" ? l.join(r, j) : kind === "left" ? l.leftJoin(r, j) : l.outerJoin(r, j);
      if (t.kind2) {
        const t3 = b.table("T", S);
        const j2 = (a: unknown, bb: unknown) => `(${a})*${bb}`;
        if (t.thirdFirst) {
          const j3 = (a: unknown, bb: unknown) => `${a}*(${bb})`;
          o = t.kind2 === "inner" ? t3.join(o, j3) : t.kind2 === "left" ? t3.leftJoin(o, j3) : t3.outerJoin(o, j3);
        } else {
          o = t.kind2 === "inner" ? o.join(t3, j2) : t.kind2 === "left" ? o.leftJoin(t3, j2) : o.outerJoin(t3, j2);
        }
      }
      if (t.streamJoin) {
        b.stream("S", S).leftJoin(o, (a: unknown, bb: unknown) => `${a}/${bb}`).to("out", S);
      } else o.toStream().to("out", S);
      break;
    }
    case "gt": {
      const l = b.stream("L", S);
      const g = b.globalTable("G", { ...S, store: "g" });
      const km = (_k: string, v: string) => fk(v) as string;
      (kind === "inner" ? l.join(g, km, j) : l.leftJoin(g, km, j)).to("out", S);
      break;
    }
    case "fk": {
      let l = b.table("L", S), r = b.table("R", S);
      if (t.filterLeft) l = l.filter((_k, v) => keep(v.split(":")[1]));
      if (t.filterRight) r = r.filter((_k, v) => keep(v));
      const o = kind === "inner" ? l.join(r, (v: string) => fk(v), j) : l.leftJoin(r, (v: string) => fk(v), j);
      o.toStream().to("out", S);
      break;
    }
    case "tf": {
      let tb = b.table("L", S);
      if (t.op === "filter") tb = tb.filter((_k, v) => keep(v));
      else if (t.op === "filterNot") tb = tb.filterNot((_k, v) => keep(v));
      else if (t.op === "mapValues") tb = tb.mapValues((v) => `${v}!`);
      else if (t.op === "filterMap") tb = tb.filter((_k, v) => keep(v)).mapValues((v) => `${v}!`);
      else if (t.op === "mapFilter") tb = tb.mapValues((v) => `${v}!`).filter((_k, v) => keep(v));
      tb.toStream().to("out", S);
      break;
    }
    default: throw new Error(t.type);
  }
  return b.build();
}

const all = JSON.parse(readFileSync(process.argv[2]!, "utf8"));
const lines: string[] = [];
for (const sc of all) {
  const res: any = { id: sc.id };
  let d: any;
  try {
    d = new TopologyTestDriver(build(sc.topology), { applicationId: "diff", cacheMaxBytes: 0, initialWallClockTimeMs: 0 });
    const ins = new Map<string, any>();
    const o = d.createOutputTopic("out", serdes.string(), serdes.string());
    const arr: any[] = (res.out = []);
    sc.records.forEach((r: any, idx: number) => {
      if (!ins.has(r.topic)) ins.set(r.topic, d!.createInputTopic(r.topic, serdes.string(), serdes.string()));
      ins.get(r.topic).pipeInput(r.key, r.value, r.ts);
      for (const tr of o.readRecordsToList()) arr.push({ k: tr.key, v: tr.value, ts: tr.timestamp, at: idx });
    });
  } catch (e) {
    res.error = String(e);
  } finally {
    try { d?.close(); } catch {}
  }
  lines.push(JSON.stringify(res));
}
writeFileSync(process.argv[3]!, lines.join("\n") + "\n");
