// Seeded AI chat traffic: conversations start at random, alternate user and assistant turns on models with
// their own latency, length and failure profiles, and end normally, after a failure, or without a reply.
import { fileURLToPath } from "node:url";
import { SeededRandom } from "../lib/random.ts";
import { parseGeneratorArgs, runGenerator } from "../lib/generator-cli.ts";
import { defaultTopics } from "./app.ts";
import type { ChatEvent } from "./chat.ts";

export interface ChatRecord {
  readonly key: string;
  readonly value: ChatEvent;
  readonly timestamp: number;
}

interface ModelProfile {
  readonly model: string;
  /** Share of conversations. */
  readonly weight: number;
  readonly medianLatencyMs: number;
  readonly errorRate: number;
  readonly meanTokensOut: number;
}

const profiles: readonly ModelProfile[] = [
  { model: "orion-large", weight: 0.2, medianLatencyMs: 4500, errorRate: 0.04, meanTokensOut: 650 },
  { model: "orion-mini", weight: 0.35, medianLatencyMs: 900, errorRate: 0.02, meanTokensOut: 300 },
  { model: "lyra-pro", weight: 0.25, medianLatencyMs: 2800, errorRate: 0.05, meanTokensOut: 500 },
  { model: "lyra-flash", weight: 0.2, medianLatencyMs: 450, errorRate: 0.08, meanTokensOut: 250 },
];

/** New conversations per minute of event time by default. */
export const defaultConversationsPerMinute = 12;
/** Events per conversation on average (measured over the seeded sequence), to turn a rate into a load. */
export const meanEventsPerConversation = 6;

const systemPromptTokens = 180;
const timeoutMs = 30_000;
/** Failures other than timeouts (a call that reaches `timeoutMs` fails with "timeout"). */
const callErrors = ["rate_limited", "server_error"] as const;

interface Conversation {
  readonly id: string;
  readonly profile: ModelProfile;
  /** User turns still to come after the current one. */
  exchangesLeft: number;
  turn: number;
  historyTokens: number;
  pendingUserTokens: number;
}

interface Scheduled {
  readonly timeMs: number;
  readonly seq: number;
  readonly conversation: Conversation | null; // null: start a new conversation
  readonly role: "user" | "assistant";
  /** Assistant turns: how long after the user turn the reply comes. */
  readonly latencyMs?: number;
}

/**
 * The seeded sequence of chat events in event-time order, from `baseTimeMs` on: same seed, same events.
 * `conversationsPerMinute` sets the load (and so how fast event time moves per event).
 */
export function* chatEventSequence(seed: number, baseTimeMs: number, conversationsPerMinute = defaultConversationsPerMinute): Generator<ChatRecord> {
  const random = new SeededRandom(seed);
  const queue = new EventQueue();
  let started = 0;
  const meanGapMs = 60_000 / conversationsPerMinute;
  queue.push({ timeMs: baseTimeMs, seq: 0, conversation: null, role: "user" });

  for (;;) {
    const next = queue.pop()!;
    let conversation = next.conversation;
    if (!conversation) {
      conversation = startConversation(random, ++started);
      queue.push({ timeMs: next.timeMs + Math.round(exponential(random, meanGapMs)), seq: queue.nextSeq(), conversation: null, role: "user" });
    }
    const c = conversation;
    const t = next.timeMs;
    c.turn++;
    if (next.role === "user") {
      c.pendingUserTokens = random.int(12, 220);
      yield record(c, t, { role: "user", tokensIn: 0, tokensOut: 0 });
      // 3 % of requests are lost (the client disconnected, the gateway dropped them): no reply ever.
      if (random.chance(0.03)) continue;
      const latencyMs = replyLatency(random, c.profile);
      queue.push({ timeMs: t + latencyMs, seq: queue.nextSeq(), conversation: c, role: "assistant", latencyMs });
      continue;
    }

    const latencyMs = next.latencyMs!;
    const tokensIn = systemPromptTokens + c.historyTokens + c.pendingUserTokens;
    if (latencyMs === timeoutMs || random.chance(c.profile.errorRate)) {
      const error = latencyMs === timeoutMs ? "timeout" : random.pick(callErrors);
      yield record(c, t, { role: "assistant", tokensIn: 0, tokensOut: 0, latencyMs, error, ...(random.chance(0.3) ? { feedback: "down" as const } : {}) });
      // After a failure, 40 % of users try again; the others leave with their question unanswered.
      if (random.chance(0.4)) queue.push({ timeMs: t + random.int(3_000, 20_000), seq: queue.nextSeq(), conversation: c, role: "user" });
      continue;
    }
    const tokensOut = Math.max(5, Math.round(c.profile.meanTokensOut * (0.3 + 1.4 * random.next())));
    c.historyTokens += c.pendingUserTokens + tokensOut;
    const slow = latencyMs > 2 * c.profile.medianLatencyMs;
    const feedback = random.chance(0.2) ? (random.chance(slow ? 0.5 : 0.15) ? "down" : "up") : undefined;
    yield record(c, t, { role: "assistant", tokensIn, tokensOut, latencyMs, ...(feedback ? { feedback } : {}) });
    if (c.exchangesLeft-- > 0) queue.push({ timeMs: t + random.int(5_000, 90_000), seq: queue.nextSeq(), conversation: c, role: "user" });
  }
}

/** The first `count` events of the seeded sequence. */
export function events(count: number, seed: number, baseTimeMs = Date.now(), conversationsPerMinute = defaultConversationsPerMinute): ChatRecord[] {
  const out: ChatRecord[] = [];
  if (count <= 0) return out;
  for (const r of chatEventSequence(seed, baseTimeMs, conversationsPerMinute)) {
    out.push(r);
    if (out.length === count) break;
  }
  return out;
}

function startConversation(random: SeededRandom, n: number): Conversation {
  let pick = random.next();
  let profile = profiles[profiles.length - 1]!;
  for (const p of profiles) {
    if ((pick -= p.weight) < 0) {
      profile = p;
      break;
    }
  }
  return { id: `conv-${String(n).padStart(6, "0")}`, profile, exchangesLeft: random.int(0, 6), turn: 0, historyTokens: 0, pendingUserTokens: 0 };
}

function record(c: Conversation, timeMs: number, turn: Pick<ChatEvent, "role" | "tokensIn" | "tokensOut" | "latencyMs" | "error" | "feedback">): ChatRecord {
  const value: ChatEvent = { conversationId: c.id, turn: c.turn, model: c.profile.model, ...turn, timeMs };
  return { key: c.id, value, timestamp: timeMs };
}

/**
 * Log-normal around the model's median, cut at `timeoutMs` (the call then fails with "timeout"); 1 % of
 * requests get stuck in a queue for minutes and are answered long after the user gave up.
 */
function replyLatency(random: SeededRandom, profile: ModelProfile): number {
  if (random.chance(0.01)) return random.int(150_000, 240_000);
  const normal = Math.sqrt(-2 * Math.log(1 - random.next())) * Math.cos(2 * Math.PI * random.next());
  return Math.min(timeoutMs, Math.max(80, Math.round(profile.medianLatencyMs * Math.exp(0.6 * normal))));
}

function exponential(random: SeededRandom, mean: number): number {
  return -mean * Math.log(1 - random.next());
}

/** A min-heap of scheduled turns by time, then by scheduling order, so the sequence is deterministic. */
class EventQueue {
  private readonly heap: Scheduled[] = [];
  private seq = 1;
  nextSeq(): number {
    return this.seq++;
  }
  push(item: Scheduled): void {
    const h = this.heap;
    h.push(item);
    for (let i = h.length - 1; i > 0; ) {
      const parent = (i - 1) >> 1;
      if (!before(h[i]!, h[parent]!)) break;
      [h[i], h[parent]] = [h[parent]!, h[i]!];
      i = parent;
    }
  }
  pop(): Scheduled | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (h.length > 0 && last) {
      h[0] = last;
      for (let i = 0; ; ) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && before(h[l]!, h[m]!)) m = l;
        if (r < h.length && before(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    return top;
  }
}

function before(a: Scheduled, b: Scheduled): boolean {
  return a.timeMs < b.timeMs || (a.timeMs === b.timeMs && a.seq < b.seq);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const options = parseGeneratorArgs(process.argv.slice(2), defaultTopics.input);
  // At a given rate, start conversations so that event time keeps pace with the wall clock.
  const perMinute = options.rate > 0 ? (options.rate * 60) / meanEventsPerConversation : defaultConversationsPerMinute;
  const sequence = chatEventSequence(options.seed, Date.now(), perMinute);
  await runGenerator(options, () => {
    const r = sequence.next().value as ChatRecord;
    return { key: r.key, value: JSON.stringify(r.value), timestamp: r.timestamp };
  });
}
