// Issue 15's buffer limits and session close on the broker: per user, sessions (gap 10 s, no grace) emitted
// once each with EmitStrategy.onWindowClose, and a click count held back by suppress(untilTimeLimit(60 s))
// in a buffer of at most two records that emits its earliest entry early when full. One input topic with
// one partition: one task, whose stream time the test can follow record by record. `whenFull: "shutDown"`
// makes the full buffer fail the task instead (WEIR_STATE_BUFFER_FULL).
import { BufferConfig, EmitStrategy, SessionWindows, StreamsBuilder, Suppressed, serdes, type Topology } from "weir-streams";

export const topicEnv = {
  clicks: "SESSION_SUPPRESS_CLICKS_TOPIC",
  sessions: "SESSION_SUPPRESS_SESSIONS_TOPIC",
  held: "SESSION_SUPPRESS_HELD_TOPIC",
} as const;

export type SessionSuppressTopics = Readonly<Record<keyof typeof topicEnv, string>>;

const strings = { key: serdes.string(), value: serdes.string() };

/** Sessions go out as `user → "<start>-<end>=<count>"` (epoch ms); held counts as `user → "<count>"`. */
export function buildSessionSuppressTopology(topics: SessionSuppressTopics, whenFull: "emitEarly" | "shutDown" = "emitEarly"): Topology {
  const buffer = whenFull === "emitEarly" ? BufferConfig.maxRecords(2).emitEarlyWhenFull() : BufferConfig.maxRecords(2).shutDownWhenFull();
  const b = new StreamsBuilder();
  const clicks = b.stream(topics.clicks, strings).groupByKey();
  clicks
    .windowedBy(SessionWindows.ofInactivityGapWithNoGrace("10s"))
    .emitStrategy(EmitStrategy.onWindowClose())
    .count({ store: "sessions" })
    .toStream()
    .map((w, n): readonly [string, string] => [w.key, `${w.window.start}-${w.window.end}=${n}`])
    .to(topics.sessions, strings);
  clicks
    .count({ store: "clicks" })
    .suppress(Suppressed.untilTimeLimit("60s", buffer), { name: "held", store: "held" })
    .toStream()
    .mapValues((n) => String(n))
    .to(topics.held, strings);
  return b.build();
}
