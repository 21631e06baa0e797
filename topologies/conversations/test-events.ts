// Test helpers of the conversations example: chat events written by hand, and a driver over the topology.
import { serdes } from "weir-streams";
import { TopologyTestDriver, type TestOutputTopic } from "weir-streams/testing";
import type { Abandoned } from "./abandoned.ts";
import { buildTopology, type ConversationTopics } from "./app.ts";
import type { ChatEvent } from "./chat.ts";
import type { ConversationStats } from "./conversation-stats.ts";
import type { ModelMinuteStats } from "./model-minute.ts";

export const testTopics: ConversationTopics = { input: "chat", stats: "stats", modelMinutes: "minutes", abandoned: "abandoned" };

export function user(conversationId: string, turn: number, model: string, timeMs: number): ChatEvent {
  return { conversationId, turn, role: "user", model, tokensIn: 0, tokensOut: 0, timeMs };
}

export function reply(
  conversationId: string,
  turn: number,
  model: string,
  timeMs: number,
  call: { tokensIn: number; tokensOut: number; latencyMs: number; error?: string; feedback?: "up" | "down" },
): ChatEvent {
  return { conversationId, turn, role: "assistant", model, ...call, timeMs };
}

export interface Outputs<V> {
  /** Each record written so far and not yet read, without headers. */
  read(): { key: string | null; value: V | null; timestamp: number }[];
}

function outputs<V>(topic: TestOutputTopic<string, V>): Outputs<V> {
  return { read: () => topic.readRecordsToList().map(({ key, value, timestamp }) => ({ key, value, timestamp })) };
}

export interface ConversationsDriver {
  readonly driver: TopologyTestDriver;
  /** Pipes each event keyed by its conversation; the record timestamp is 0, so event time must come from `timeMs`. */
  send(...events: ChatEvent[]): void;
  readonly stats: Outputs<ConversationStats>;
  readonly minutes: Outputs<ModelMinuteStats>;
  readonly abandoned: Outputs<Abandoned>;
}

export function conversationsDriver(): ConversationsDriver {
  const driver = new TopologyTestDriver(buildTopology(testTopics), { applicationId: "conversations-test", initialWallClockTimeMs: 0 });
  const input = driver.createInputTopic(testTopics.input, serdes.string(), serdes.json<ChatEvent>());
  return {
    driver,
    send: (...events) => {
      for (const e of events) input.pipeInput(e.conversationId, e, 0);
    },
    stats: outputs(driver.createOutputTopic(testTopics.stats, serdes.string(), serdes.json<ConversationStats>())),
    minutes: outputs(driver.createOutputTopic(testTopics.modelMinutes, serdes.string(), serdes.json<ModelMinuteStats>())),
    abandoned: outputs(driver.createOutputTopic(testTopics.abandoned, serdes.string(), serdes.json<Abandoned>())),
  };
}
