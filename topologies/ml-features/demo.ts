// `make demo EXAMPLE=ml-features`: shop events turned into per-user feature rows, printed live, one line per row.
import { runDemo } from "../lib/demo.ts";
import { defaultTopics, featureTable, type FeatureRow, type WindowFeatures } from "./app.ts";

const window = (name: string, w: WindowFeatures) =>
  `${name} ${w.events} ev ${w.distinctItems} items ${w.purchases} buys${w.purchases > 0 ? ` ${w.purchaseAmount.toFixed(2)}` : ""}`;

const seconds = (ms: number | null) => (ms === null ? "first event" : `${(ms / 1000).toFixed(1)} s since previous`);

console.error(`demo: query a user's row with curl http://127.0.0.1:${process.env.WEIR_HTTP_PORT ?? "8080"}/stores/${featureTable}/keys/user-001`);
await runDemo({
  example: "ml-features",
  topics: [
    { name: defaultTopics.profiles, partitions: 1 },
    { name: defaultTopics.events, partitions: 3 },
    { name: defaultTopics.features, partitions: 3 },
  ],
  generatorArgs: ["--count", "100000000", "--rate", "20"],
  outputTopics: [defaultTopics.features],
  format: (r) => {
    const row = JSON.parse(r.value?.toString() ?? "null") as FeatureRow;
    const who = row.profile === null ? "no profile" : `${row.profile.country} ${row.profile.tier}, ${row.accountAgeDays} d`;
    const what = row.asOf === row.lastEventAt ? seconds(row.msSincePreviousEvent) : "expiry";
    return `${row.userId} [${who}] ${window("5m", row.last5m)} | ${window("1h", row.last1h)} | ${window("24h", row.last24h)} | ${what}`;
  },
});
