// The versioned-join test's app: the topology of versioned-join-topology.ts on the topics named in VERSIONED_JOIN_*_TOPIC.
import { app } from "weir-streams";
import { buildVersionedJoinTopology, topicEnv } from "./versioned-join-topology.ts";

function fromEnv(): Parameters<typeof buildVersionedJoinTopology>[0] {
  const topics = {} as Record<keyof typeof topicEnv, string>;
  for (const [name, variable] of Object.entries(topicEnv) as [keyof typeof topicEnv, string][]) {
    const value = process.env[variable];
    if (!value) throw new Error(`${variable} must name the topic`);
    topics[name] = value;
  }
  return topics;
}

export default app({ applicationId: "versioned-join", topology: buildVersionedJoinTopology(fromEnv()) });
