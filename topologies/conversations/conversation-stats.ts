// Per-conversation statistics, folded one chat event at a time (the aggregate behind the conversation-stats table).
import { costMicroUsd, nearestRank, type ChatEvent } from "./chat.ts";

/** Exact percentiles over the latencies of a conversation's last this-many assistant turns. */
export const latencyWindow = 50;

export interface ConversationStats {
  readonly conversationId: string;
  readonly turns: number;
  readonly userTurns: number;
  readonly assistantTurns: number;
  /** Assistant turns whose model call failed. */
  readonly errors: number;
  readonly tokensIn: number;
  readonly tokensOut: number;
  readonly costMicroUsd: number;
  /** The latencies of the last `latencyWindow` assistant turns (failed ones too), oldest first. */
  readonly recentLatenciesMs: readonly number[];
  /** Nearest-rank percentiles of `recentLatenciesMs`; null before the first assistant turn. */
  readonly latencyP50Ms: number | null;
  readonly latencyP95Ms: number | null;
  readonly thumbsUp: number;
  readonly thumbsDown: number;
  /** The model of the latest turn. */
  readonly model: string;
  readonly firstEventMs: number;
  readonly lastEventMs: number;
}

export function emptyStats(): ConversationStats {
  return {
    conversationId: "",
    turns: 0,
    userTurns: 0,
    assistantTurns: 0,
    errors: 0,
    tokensIn: 0,
    tokensOut: 0,
    costMicroUsd: 0,
    recentLatenciesMs: [],
    latencyP50Ms: null,
    latencyP95Ms: null,
    thumbsUp: 0,
    thumbsDown: 0,
    model: "",
    firstEventMs: Number.MAX_SAFE_INTEGER,
    lastEventMs: 0,
  };
}

export function addEvent(conversationId: string, event: ChatEvent, stats: ConversationStats): ConversationStats {
  const assistant = event.role === "assistant";
  const latencies =
    assistant && event.latencyMs !== undefined ? [...stats.recentLatenciesMs, event.latencyMs].slice(-latencyWindow) : stats.recentLatenciesMs;
  return {
    conversationId,
    turns: stats.turns + 1,
    userTurns: stats.userTurns + (assistant ? 0 : 1),
    assistantTurns: stats.assistantTurns + (assistant ? 1 : 0),
    errors: stats.errors + (assistant && event.error !== undefined ? 1 : 0),
    tokensIn: stats.tokensIn + event.tokensIn,
    tokensOut: stats.tokensOut + event.tokensOut,
    costMicroUsd: stats.costMicroUsd + costMicroUsd(event),
    recentLatenciesMs: latencies,
    latencyP50Ms: nearestRank(latencies, 50),
    latencyP95Ms: nearestRank(latencies, 95),
    thumbsUp: stats.thumbsUp + (event.feedback === "up" ? 1 : 0),
    thumbsDown: stats.thumbsDown + (event.feedback === "down" ? 1 : 0),
    model: event.model,
    firstEventMs: Math.min(stats.firstEventMs, event.timeMs),
    lastEventMs: Math.max(stats.lastEventMs, event.timeMs),
  };
}
