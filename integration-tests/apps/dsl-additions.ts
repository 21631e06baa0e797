// The DSL-additions test's app: the topology of dsl-additions-topology.ts on the topics named in DSL_ADDITIONS_*_TOPIC.
import { app } from "weir-streams";
import { buildDslAdditionsTopology, topicEnv } from "./dsl-additions-topology.ts";

function fromEnv(): Parameters<typeof buildDslAdditionsTopology>[0] {
  const topics = {} as Record<keyof typeof topicEnv, string>;
  for (const [name, variable] of Object.entries(topicEnv) as [keyof typeof topicEnv, string][]) {
    const value = process.env[variable];
    if (!value) throw new Error(`${variable} must name the topic`);
    topics[name] = value;
  }
  return topics;
}

export default app({ applicationId: "dsl-additions", topology: buildDslAdditionsTopology(fromEnv()) });
