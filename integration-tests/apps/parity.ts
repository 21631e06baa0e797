// The parity test's app: the topology of parity-topology.ts on the topics named in PARITY_*_TOPIC.
import { app } from "weir-streams";
import { buildParityTopology, topicEnv } from "./parity-topology.ts";

function fromEnv(): Parameters<typeof buildParityTopology>[0] {
  const topics = {} as Record<keyof typeof topicEnv, string>;
  for (const [name, variable] of Object.entries(topicEnv) as [keyof typeof topicEnv, string][]) {
    const value = process.env[variable];
    if (!value) throw new Error(`${variable} must name the topic`);
    topics[name] = value;
  }
  return topics;
}

export default app({ applicationId: "parity", topology: buildParityTopology(fromEnv()) });
