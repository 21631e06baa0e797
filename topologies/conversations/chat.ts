// The AI chat events the conversations example reads, the per-model price table, and the cost of a turn.

/** One turn of a conversation, keyed by `conversationId`; `timeMs` is its event time (also the record timestamp). */
export interface ChatEvent {
  readonly conversationId: string;
  /** 1, 2, 3… in the conversation, user and assistant turns alike. */
  readonly turn: number;
  readonly role: "user" | "assistant";
  readonly model: string;
  /** Prompt tokens billed for an assistant turn (0 on user turns). */
  readonly tokensIn: number;
  /** Completion tokens billed for an assistant turn (0 on user turns and failed calls). */
  readonly tokensOut: number;
  /** Assistant turns: how long the model took to answer (or to fail). */
  readonly latencyMs?: number;
  /** Assistant turns whose model call failed: "timeout", "rate_limited", "server_error"… */
  readonly error?: string;
  /** Assistant turns the user rated. */
  readonly feedback?: "up" | "down";
  readonly timeMs: number;
}

/** Prices in micro-USD per token, which is USD per million tokens. */
export interface ModelPrice {
  readonly inputMicroUsdPerToken: number;
  readonly outputMicroUsdPerToken: number;
}

/**
 * The models the generator uses (fictional, with price ratios like real large/small models). Prices are
 * multiples of 1/4 µUSD, so a turn's cost before rounding is exact in binary floating point.
 */
export const prices: Readonly<Record<string, ModelPrice>> = {
  "orion-large": { inputMicroUsdPerToken: 10, outputMicroUsdPerToken: 30 },
  "orion-mini": { inputMicroUsdPerToken: 0.5, outputMicroUsdPerToken: 1.5 },
  "lyra-pro": { inputMicroUsdPerToken: 3, outputMicroUsdPerToken: 15 },
  "lyra-flash": { inputMicroUsdPerToken: 0.25, outputMicroUsdPerToken: 1 },
};

/** A turn's cost in whole micro-USD (rounded half up); a model missing from the price table costs 0. */
export function costMicroUsd(event: Pick<ChatEvent, "model" | "tokensIn" | "tokensOut">): number {
  const price = prices[event.model];
  if (!price) return 0;
  return Math.round(event.tokensIn * price.inputMicroUsdPerToken + event.tokensOut * price.outputMicroUsdPerToken);
}

/** A successful assistant turn: one that answers the user (an error does not). */
export function isAnswer(event: ChatEvent): boolean {
  return event.role === "assistant" && event.error === undefined;
}

/** The nearest-rank percentile (p in (0, 100]) of `values`: the ⌈p/100 · n⌉-th smallest; null when empty. */
export function nearestRank(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil((p * sorted.length) / 100) - 1)]!;
}
