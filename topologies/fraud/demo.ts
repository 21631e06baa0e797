// `make demo EXAMPLE=fraud`: card transactions with injected fraud, live. Every alert is printed as a block
// with its evidence; every few seconds, a line on the busiest cards of the last hour and the alert counts.
import type { ConsumedRecord } from "../../src/kafka/types.ts";
import { runDemo } from "../lib/demo.ts";
import { defaultTopics, type CardStats, type FraudAlert } from "./app.ts";
import { money } from "./rules.ts";

const color = process.stdout.isTTY ? (code: string) => (text: string) => `\x1b[${code}m${text}\x1b[0m` : () => (text: string) => text;
const bold = color("1");
const dim = color("2");
const styles: Record<FraudAlert["kind"], { readonly label: string; readonly paint: (text: string) => string }> = {
  "card-testing": { label: "CARD TESTING", paint: color("1;41;97") },
  "country-hop": { label: "COUNTRY HOP", paint: color("1;45;97") },
  "amount-outlier": { label: "AMOUNT OUTLIER", paint: color("1;43;30") },
};

const time = (ms: number) => new Date(ms).toTimeString().slice(0, 8);

const alertCounts = new Map<FraudAlert["kind"], number>();
/** The newest last-hour stats of each card, and how many transactions the topology has scored. */
const latest = new Map<string, CardStats>();
let scored = 0;
let eventTime = 0;

function formatAlert(alert: FraudAlert): string {
  alertCounts.set(alert.kind, (alertCounts.get(alert.kind) ?? 0) + 1);
  const style = styles[alert.kind];
  const lines = [`${style.paint(` 🚨 ${style.label} `)} ${bold(alert.card)} at ${time(alert.at)}  ${alert.summary}`];
  const shown = alert.evidence.slice(-6);
  if (shown.length < alert.evidence.length) lines.push(dim(`     … ${alert.evidence.length - shown.length} earlier`));
  for (const tx of shown) lines.push(dim(`     ${time(tx.at)}  ${money(tx.amount).padStart(9)}  ${tx.country}  ${tx.merchant}  (${tx.txId})`));
  return lines.join("\n");
}

function format(record: ConsumedRecord): string | undefined {
  if (record.value === null) return undefined;
  if (record.topic === defaultTopics.alerts) return formatAlert(JSON.parse(record.value.toString()) as FraudAlert);
  const stats = JSON.parse(record.value.toString()) as CardStats;
  latest.set(stats.card, stats);
  scored++;
  eventTime = Math.max(eventTime, stats.windowEnd);
  return undefined;
}

/** The cards with the most transactions in their last hour (as of their latest one), and the alerts so far. */
function summary(): string | undefined {
  if (scored === 0) return undefined;
  // A card's stats are current while its window ends within the hour before the newest event time.
  const current = [...latest.values()].filter((s) => s.windowEnd > eventTime - 3_600_000);
  const busiest = current.sort((a, b) => b.count - a.count || b.sum - a.sum).slice(0, 3);
  const cards = busiest.map((s) => `${s.card} ${s.count} tx Σ${money(s.sum)} μ${money(s.mean)} max ${money(s.max)}`).join("  |  ");
  const alerts = [...alertCounts].map(([kind, n]) => `${kind} ${n}`).join(", ") || "none yet";
  return dim(`── ${time(eventTime)} · ${scored} transactions scored · alerts: ${alerts}\n── busiest cards, last hour: ${cards}`);
}

const ticker = setInterval(() => {
  const text = summary();
  if (text !== undefined) console.log(text);
}, 5000);
ticker.unref();

try {
  await runDemo({
    example: "fraud",
    topics: [
      { name: defaultTopics.transactions, partitions: 3 },
      { name: defaultTopics.alerts, partitions: 3 },
      { name: defaultTopics.stats, partitions: 3 },
    ],
    // 20 transactions a second, event time 30× faster than the clock (a card-testing burst plays out in
    // ~15 s), starting 6 hours ago: 15,000 transactions (12.5 minutes) stay within the hour of the future
    // that the broker accepts.
    generatorArgs: ["--count", "15000", "--rate", "20", "--speedup", "30", "--history-hours", "6", "--fraud-rate", "0.01"],
    outputTopics: [defaultTopics.alerts, defaultTopics.stats],
    format,
  });
} finally {
  clearInterval(ticker);
}
