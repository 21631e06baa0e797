export { StreamsBuilder, type Consumed } from "./streams-builder.ts";
export { KStream, type Named, type Produced } from "./kstream.ts";
export { Topology } from "./topology.ts";
export { TopologyError, type SubTopology, type TopologyNode } from "./graph.ts";
