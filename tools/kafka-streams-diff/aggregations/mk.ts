// Hand-made scenarios: "name|topology|params-json|k:v@ts k:v@ts ..." lines on stdin (k or v may be "null"; topic tin if topology starts with table).
import { readFileSync } from "node:fs";
const lines = readFileSync(0, "utf8").split("\n").filter((l) => l.trim() && !l.startsWith("#"));
console.log(JSON.stringify(lines.map((l) => {
  const [name, topology, params, recs] = l.split("|");
  const topic = topology!.startsWith("table") ? "tin" : "in";
  return { name, topology, params: JSON.parse(params || "{}"), records: recs!.trim().split(/\s+/).map((r) => {
    const m = /^(\w+):(-?\w+)@(\d+)$/.exec(r)!; return { topic, key: m[1] === "null" ? null : m[1], value: m[2] === "null" ? null : Number(m[2]), ts: Number(m[3]) };
  }) };
})));
