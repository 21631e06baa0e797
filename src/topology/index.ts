export { StreamsBuilder, type Consumed } from "./streams-builder.ts";
export { KStream, type Named, type Produced, type ProcessOptions, type AsyncOptions } from "./kstream.ts";
export { KGroupedStream, type Grouped, type Materialized } from "./kgrouped-stream.ts";
export { KTable } from "./ktable.ts";
export { GlobalKTable } from "./global-ktable.ts";
export type { TableConsumed } from "./tables.ts";
export type { JoinMaterialized } from "./joins.ts";
export { Topology } from "./topology.ts";
export { TopologyError, type StoreDefinition, type SubTopology, type TopologyNode } from "./graph.ts";
