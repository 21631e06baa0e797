// `make demo EXAMPLE=realtime-aggregates`: almost two hours of simulated orders, ending now, replayed at 5 a
// second (a simulated minute every 3½ s); prints each minute's top products and each region's revenue per
// minute and per 5 minutes as the windows close. The products' totals are in revenue-per-product-1m / -5m.
import { runDemo } from "../lib/demo.ts";
import { topics, type TopProducts, type WindowTotals } from "./app.ts";

const time = (iso: string) => iso.slice(11, 16);
const money = (n: number) => n.toFixed(2).padStart(9);

await runDemo({
  example: "realtime-aggregates",
  topics: [
    { name: topics.orders, partitions: 3 },
    { name: topics.productRevenue1m, partitions: 3 },
    { name: topics.productRevenue5m, partitions: 3 },
    { name: topics.regionRevenue1m, partitions: 3 },
    { name: topics.regionRevenue5m, partitions: 3 },
    { name: topics.topProducts1m, partitions: 1 },
  ],
  generatorArgs: ["--count", "2000", "--rate", "5"],
  outputTopics: [topics.topProducts1m, topics.regionRevenue1m, topics.regionRevenue5m],
  format: (r) => {
    const value = r.value?.toString() ?? "null";
    if (r.topic === topics.topProducts1m) {
      const t = JSON.parse(value) as TopProducts;
      return `TOP ${time(t.minute)}        ${t.top.map((p, i) => `${i + 1}. ${p.product} ${p.revenue.toFixed(2)} (${p.orders})`).join("   ")}`;
    }
    const w = JSON.parse(value) as WindowTotals;
    const span = r.topic === topics.regionRevenue1m ? "1m" : "5m";
    return `${span}  ${time(w.windowStart)}–${time(w.windowEnd)}  ${(r.key?.toString() ?? "").padEnd(8)} ${money(w.revenue)}  ${String(w.orders).padStart(3)} orders  ${String(w.quantity).padStart(3)} units`;
  },
});
