// `make demo EXAMPLE=conversations`: AI chat traffic through the conversations topology, printed live.
// Event time keeps pace with the wall clock, so a model's minute prints once that minute (+10 s grace) is over
// and an unanswered conversation is flagged 2 (or 10) minutes after its last turn.
import { runDemo } from "../lib/demo.ts";
import type { ConsumedRecord } from "../../src/kafka/types.ts";
import type { Abandoned } from "./abandoned.ts";
import { defaultTopics as topics } from "./app.ts";
import type { ConversationStats } from "./conversation-stats.ts";
import type { ModelMinuteStats } from "./model-minute.ts";

const clock = (ms: number) => new Date(ms).toISOString().slice(11, 19);
const usd = (micro: number) => `$${(micro / 1e6).toFixed(4)}`;
const pct = (rate: number | null) => (rate === null ? "–" : `${Math.round(rate * 100)}%`);

function format(record: ConsumedRecord): string {
  const value = JSON.parse(record.value?.toString() ?? "null") as unknown;
  if (record.topic === topics.modelMinutes) {
    const m = value as ModelMinuteStats;
    return (
      `MINUTE    ${clock(m.windowStartMs)} ${m.model.padEnd(12)} requests ${String(m.requests).padStart(4)}  errors ${pct(m.errorRate).padStart(4)}` +
      `  latency mean ${m.meanLatencyMs} ms, p95 ${m.p95LatencyMs} ms  cost ${usd(m.costMicroUsd)}  thumbs down ${pct(m.negativeFeedbackRate)}`
    );
  }
  if (record.topic === topics.abandoned) {
    const a = value as Abandoned;
    return `ABANDONED ${a.conversationId} (${a.reason}) on ${a.model}: unanswered since ${clock(a.unansweredSinceMs)}, last turn ${a.lastUserTurn} at ${clock(a.lastEventMs)}`;
  }
  const s = value as ConversationStats;
  return (
    `stats     ${s.conversationId} ${s.model.padEnd(12)} turns ${String(s.turns).padStart(2)}  latency p50 ${s.latencyP50Ms ?? "–"} / p95 ${s.latencyP95Ms ?? "–"} ms` +
    `  tokens ${s.tokensIn}/${s.tokensOut}  ${usd(s.costMicroUsd)}  feedback +${s.thumbsUp}/-${s.thumbsDown}${s.errors ? `  errors ${s.errors}` : ""}`
  );
}

await runDemo({
  example: "conversations",
  topics: [
    { name: topics.input, partitions: 3 },
    { name: topics.stats, partitions: 3 },
    { name: topics.modelMinutes, partitions: 3 },
    { name: topics.abandoned, partitions: 3 },
  ],
  generatorArgs: ["--count", "100000000", "--rate", "5"],
  outputTopics: [topics.modelMinutes, topics.abandoned, topics.stats],
  format,
});
