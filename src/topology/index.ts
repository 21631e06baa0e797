export { StreamsBuilder, type Consumed } from "./streams-builder.ts";
export { KStream, type Named, type Produced } from "./kstream.ts";
export { KGroupedStream, type Grouped, type Materialized } from "./kgrouped-stream.ts";
export { KTable } from "./ktable.ts";
export { Topology } from "./topology.ts";
export { TopologyError, type ErrorHandler, type StoreDefinition, type SubTopology, type TopologyNode } from "./graph.ts";
