export { StreamsBuilder, type Consumed } from "./streams-builder.ts";
export { KStream, type Named, type Produced, type Repartitioned, type ProcessOptions, type AsyncOptions } from "./kstream.ts";
export { BranchedKStream, type Branched } from "./branched-kstream.ts";
export { KGroupedStream, type CachedMaterialized, type Grouped, type Materialized } from "./kgrouped-stream.ts";
export { KTable, type SuppressOptions } from "./ktable.ts";
export { Suppressed, BufferConfig, type StrictBufferConfig, type EagerBufferConfig, type BufferFullPolicy } from "./suppressed.ts";
export { KGroupedTable, type TableGrouped } from "./kgrouped-table.ts";
export { CogroupedKStream, TimeWindowedCogroupedKStream, SessionWindowedCogroupedKStream } from "./cogrouped-kstream.ts";
export { TimeWindows, SlidingWindows, SessionWindows, type Duration } from "./windows.ts";
export { TimeWindowedKStream, SessionWindowedKStream, type WindowedOptions, type WindowedMaterialized, type LateRecords } from "./windowed-kstream.ts";
export { GlobalKTable } from "./global-ktable.ts";
export { EmitStrategy } from "../processor/emit-on-close.ts";
export type { TableConsumed, ToTableOptions } from "./tables.ts";
export type { JoinMaterialized, StreamTableJoined } from "./joins.ts";
export { Topology } from "./topology.ts";
export {
  TopologyError,
  type ConsumedRecordView,
  type ErrorHandler,
  type InvalidTimestampHandling,
  type RecordContext,
  type StoreDefinition,
  type SubTopology,
  type TimestampExtractor,
  type TopicChooser,
  type TopologyNode,
} from "./graph.ts";
export { JoinWindows } from "./join-windows.ts";
export type { StreamJoined } from "./stream-joins.ts";
