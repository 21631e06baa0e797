// The session-suppress test's app: the topology of session-suppress-topology.ts on the topics named in
// SESSION_SUPPRESS_*_TOPIC; SESSION_SUPPRESS_WHEN_FULL=shutDown gives its suppress buffer shutDownWhenFull().
import { app } from "weir-streams";
import { buildSessionSuppressTopology, topicEnv, type SessionSuppressTopics } from "./session-suppress-topology.ts";

function fromEnv(): SessionSuppressTopics {
  const topics = {} as Record<keyof typeof topicEnv, string>;
  for (const [name, variable] of Object.entries(topicEnv) as [keyof typeof topicEnv, string][]) {
    const value = process.env[variable];
    if (!value) throw new Error(`${variable} must name the topic`);
    topics[name] = value;
  }
  return topics;
}

export default app({ applicationId: "session-suppress", topology: buildSessionSuppressTopology(fromEnv(), process.env.SESSION_SUPPRESS_WHEN_FULL === "shutDown" ? "shutDown" : "emitEarly") });
