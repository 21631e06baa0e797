// AI conversation analytics: chat events keyed by conversation → per-conversation stats (a table and a topic),
// per-model per-minute aggregates (re-keyed by model through a repartition topic, final results only),
// and abandoned conversations detected with per-conversation event-time timers.
import { StreamsBuilder, Suppressed, TimeWindows, app, serdes, type TimestampExtractor } from "weir-streams";
import { AbandonedConversationDetector, type Abandoned, type Watch } from "./abandoned.ts";
import type { ChatEvent } from "./chat.ts";
import { addEvent, emptyStats, type ConversationStats } from "./conversation-stats.ts";
import { addRequest, emptyModelMinute, finalStats, type ModelMinuteAggregate, type ModelMinuteStats } from "./model-minute.ts";

export interface ConversationTopics {
  readonly input: string;
  readonly stats: string;
  readonly modelMinutes: string;
  readonly abandoned: string;
}

export const defaultTopics: ConversationTopics = {
  input: process.env.CONVERSATIONS_INPUT_TOPIC ?? "chat-events",
  stats: process.env.CONVERSATIONS_STATS_TOPIC ?? "conversation-stats",
  modelMinutes: process.env.CONVERSATIONS_MODEL_MINUTES_TOPIC ?? "model-minute-stats",
  abandoned: process.env.CONVERSATIONS_ABANDONED_TOPIC ?? "conversations-abandoned",
};

/** Stores, queryable by these names (`GET /stores/conversation-stats/keys/<conversation id>`). */
export const stores = {
  stats: "conversation-stats",
  watches: "abandon-watch",
  modelMinutes: "model-minutes",
  modelMinutesFinal: "model-minutes-final",
} as const;

/** Out-of-order tolerance of the per-minute windows: a minute closes 10 s of stream time after it ends. */
export const modelMinuteGraceMs = 10_000;

/** Event time is the chat event's own `timeMs`, whatever timestamp the producer gave the record. */
const eventTime: TimestampExtractor = (record) => (record.value as ChatEvent | null)?.timeMs ?? record.timestamp;

export function buildTopology(topics: ConversationTopics = defaultTopics) {
  const builder = new StreamsBuilder();
  const events = builder.stream(topics.input, {
    key: serdes.string(),
    value: serdes.json<ChatEvent>(),
    timestampExtractor: eventTime,
    onInvalidTimestamp: "skip",
  });

  // Per conversation, updated on every event; the store is the table, the topic its changelog stream.
  events
    .groupByKey()
    .aggregate(emptyStats, addEvent, { store: stores.stats, value: serdes.json<ConversationStats>() })
    .toStream({ name: "conversation-stats-updates" })
    .to(topics.stats, { name: "to-conversation-stats", key: serdes.string(), value: serdes.json<ConversationStats>() });

  // Abandoned conversations: per-conversation event-time timers (Processor API).
  const watches = builder.addStateStore({ name: stores.watches, key: serdes.string(), value: serdes.json<Watch>() });
  events
    .process(() => new AbandonedConversationDetector(watches), { name: "abandoned-detector", stores: [watches] })
    .to(topics.abandoned, { name: "to-abandoned", key: serdes.string(), value: serdes.json<Abandoned>() });

  // Per model and minute: assistant turns re-keyed by model (repartition), one final record per closed minute.
  events
    .filter((_, e) => e.role === "assistant", { name: "assistant-turns" })
    .groupBy((_, e) => e.model, { name: "by-model", key: serdes.string(), value: serdes.json<ChatEvent>() })
    .windowedBy(TimeWindows.ofSizeAndGrace("1m", modelMinuteGraceMs))
    .aggregate(emptyModelMinute, (_model, e, agg) => addRequest(e, agg), { store: stores.modelMinutes, value: serdes.json<ModelMinuteAggregate>() })
    .suppress(Suppressed.untilWindowCloses(), { name: "final-minutes", store: stores.modelMinutesFinal })
    .toStream({ name: "closed-minutes" })
    .map((w, agg): [string, ModelMinuteStats] => [w.key, finalStats(w.key, w.window, agg)], { name: "model-minute-stats" })
    .to(topics.modelMinutes, { name: "to-model-minute-stats", key: serdes.string(), value: serdes.json<ModelMinuteStats>() });

  return builder.build();
}

export default app({ applicationId: process.env.CONVERSATIONS_APPLICATION_ID ?? "conversations", topology: buildTopology() });
