// The DSL side of stream–stream windowed joins: a window store per side, a shared store of records waiting
// for a partner (left and outer joins), one join processor per side and a merge of their results.
import { PassThroughProcessor } from "../processor/aggregate.ts";
import { StreamStreamJoinProcessor, valueListSerde, type StreamJoinKind } from "../processor/join-stream-stream.ts";
import { serdes as builtIn, type Serde } from "../serdes/serde.ts";
import { TopologyError, type TopologyGraph } from "./graph.ts";
import type { JoinWindows } from "./join-windows.ts";

/** Serdes and names of a stream–stream join (Kafka Streams' StreamJoined); serdes default to the streams' own. */
export interface StreamJoined<K, V, VO> {
  readonly key?: Serde<K>;
  readonly value?: Serde<V>;
  readonly otherValue?: Serde<VO>;
  /** Prefix of the stores' names: `<store>-this-join-store`, `<store>-other-join-store`, `<store>-outer-shared-join-store`. */
  readonly store?: string;
  /** Prefix of the processors' names. */
  readonly name?: string;
}

export interface StreamSide {
  readonly graph: TopologyGraph;
  readonly nodeName: string;
  readonly keySerde: Serde<unknown> | undefined;
  readonly valueSerde: Serde<unknown> | undefined;
}

/** Adds the join; returns the name of the node its results come from. */
export function addStreamStreamJoin(
  left: StreamSide,
  right: StreamSide,
  kind: StreamJoinKind,
  joiner: (l: unknown, r: unknown) => unknown,
  windows: JoinWindows,
  joined: StreamJoined<unknown, unknown, unknown>,
): string {
  const graph = left.graph;
  if (graph !== right.graph) throw new TopologyError("a join needs both inputs from the same StreamsBuilder");
  const what = kind === "inner" ? "join" : `${kind}Join`;
  const keySerde = joined.key ?? left.keySerde ?? right.keySerde;
  const leftValueSerde = joined.value ?? left.valueSerde;
  const rightValueSerde = joined.otherValue ?? right.valueSerde;
  if (!keySerde || !leftValueSerde || !rightValueSerde) {
    const missing = [!keySerde && "key", !leftValueSerde && "value", !rightValueSerde && "otherValue"].filter(Boolean).join(", ");
    throw new TopologyError(`stream.${what}(stream) buffers both sides in stores and needs serdes it cannot infer here: pass { ${missing} } in its options`);
  }
  const names = (suffix: string, prefix: string) => (joined.name ? `${joined.name}-${suffix}` : graph.nextName(prefix));
  const thisName = names("this", kind === "outer" ? "KSTREAM-OUTERTHIS" : "KSTREAM-JOINTHIS");
  const otherName = names("other", kind === "inner" ? "KSTREAM-JOINOTHER" : "KSTREAM-OUTEROTHER");
  const mergeName = names("merge", "KSTREAM-MERGE");
  const thisStore = joined.store ? `${joined.store}-this-join-store` : `${thisName}-store`;
  const otherStore = joined.store ? `${joined.store}-other-join-store` : `${otherName}-store`;
  const outerStore = kind === "inner" ? undefined : joined.store ? `${joined.store}-outer-shared-join-store` : `${graph.nextName("KSTREAM-OUTERSHARED")}-store`;
  const windowStore = { kind: "window" as const, keySerde, valueSerde: valueListSerde as Serde<unknown>, windowSizeMs: windows.beforeMs + windows.afterMs + 1, retentionMs: windows.retentionMs() };
  graph.addStore({ name: thisStore, ...windowStore });
  graph.addStore({ name: otherStore, ...windowStore });
  if (outerStore) graph.addStore({ name: outerStore, kind: "keyValue", keySerde: builtIn.bytes(), valueSerde: valueListSerde });
  const stores = [thisStore, otherStore, ...(outerStore ? [outerStore] : [])];
  const common = { kind, outerStore, beforeMs: windows.beforeMs, afterMs: windows.afterMs, graceMs: windows.graceMs, keySerde, leftValueSerde, rightValueSerde, joiner };
  graph.add({
    kind: "processor",
    name: thisName,
    supplier: () => new StreamStreamJoinProcessor({ ...common, side: "left", thisStore, otherStore }),
    parents: [left.nodeName],
    children: [],
    stores,
  });
  graph.add({
    kind: "processor",
    name: otherName,
    supplier: () => new StreamStreamJoinProcessor({ ...common, side: "right", thisStore: otherStore, otherStore: thisStore }),
    parents: [right.nodeName],
    children: [],
    stores,
  });
  graph.add({ kind: "processor", name: mergeName, supplier: () => new PassThroughProcessor(), parents: [thisName, otherName], children: [], stores: [] });
  return mergeName;
}
