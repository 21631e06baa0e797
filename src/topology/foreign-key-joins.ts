// The DSL side of foreign-key table–table joins (KIP-213): which nodes, stores and internal topics
// `table.join(other, foreignKeyExtractor, joiner)` adds. The semantics live in processor/foreign-key-join.ts.
import { PassThroughProcessor } from "../processor/aggregate.ts";
import {
  ForeignTableUpdateProcessor,
  ResponseJoinProcessor,
  SubscriptionReceiveProcessor,
  SubscriptionSendProcessor,
  type ForeignKeyJoinKind,
} from "../processor/foreign-key-join.ts";
import { responseSerde, subscriptionSerde } from "../processor/foreign-key-wire.ts";
import { TableSourceProcessor } from "../processor/table-source.ts";
import type { TableValueGetterSupplier } from "../processor/table-value-getter.ts";
import { serdes, type Serde } from "../serdes/serde.ts";
import { TopologyError, type TopologyGraph } from "./graph.ts";
import { addRepartition } from "./repartition.ts";

/** What a foreign-key join needs of each table: its value getter, and both serdes. */
export interface ForeignKeyTableSide {
  readonly graph: TopologyGraph;
  readonly nodeName: string;
  readonly store: string | undefined;
  /** How the join reads the table's rows (docs/architecture.md, "value getters"); undefined when it cannot. */
  readonly getter: TableValueGetterSupplier<unknown, unknown> | undefined;
  readonly keySerde: Serde<unknown> | undefined;
  readonly valueSerde: Serde<unknown> | undefined;
}

/** Options of a foreign-key join. */
export interface ForeignKeyJoined<KO, V> {
  /** Names the join's nodes, stores (`<name>-foreign-keys`, `<name>-subscriptions`) and topics (`<name>-subscription`, `<name>-response`). */
  readonly name?: string;
  /** Materializes the result in this store (needs `value`). */
  readonly store?: string;
  readonly value?: Serde<V>;
  /** The foreign key's serde; default the other table's key serde (it must write the same bytes). */
  readonly foreignKey?: Serde<KO>;
}

function need<T>(thing: T | undefined, what: string): T {
  if (thing === undefined) throw new TopologyError(what);
  return thing;
}

/** Adds a foreign-key join of `left` (whose values name a key of `right`) and returns the result's node and store. */
export function addForeignKeyJoin(
  left: ForeignKeyTableSide,
  right: ForeignKeyTableSide,
  kind: ForeignKeyJoinKind,
  extractor: (value: unknown, key: unknown) => unknown,
  joiner: (left: unknown, right: unknown) => unknown,
  joined: ForeignKeyJoined<unknown, unknown>,
): { node: string; store: string | undefined } {
  const graph = left.graph;
  if (graph !== right.graph) throw new TopologyError("a join needs both inputs from the same StreamsBuilder");
  const what = `table.${kind === "inner" ? "join" : "leftJoin"}(table, foreignKeyExtractor)`;
  const materialized = (side: ForeignKeyTableSide) =>
    need(side.getter, `${what} needs tables whose rows it can read (builder.table(), an aggregation, or a table derived from one by mapValues, filter or a join; not a suppress result); ${side.nodeName} has none`);
  const leftGetter = materialized(left);
  const rightGetter = materialized(right);
  const leftKey = need(left.keySerde, `${what} needs the key serde of ${left.nodeName}`);
  const leftValue = need(left.valueSerde, `${what} needs the value serde of ${left.nodeName}, to hash its rows`);
  const rightValue = need(right.valueSerde, `${what} needs the value serde of ${right.nodeName}, to send its rows back`);
  const foreignKey = need(joined.foreignKey ?? right.keySerde, `${what} needs { foreignKey: serde }`);
  const name = joined.name ?? graph.nextName("KTABLE-FK-JOIN");
  const foreignKeys = `${name}-foreign-keys`;
  const subscriptions = `${name}-subscriptions`;
  const hashTopic = `${name}-hash`;
  const send = `${name}-subscription-send`;
  const result = `${name}-result`;
  graph.addStore({ name: foreignKeys, kind: "keyValue", keySerde: leftKey, valueSerde: serdes.bytes() });
  graph.addStore({ name: subscriptions, kind: "keyValue", keySerde: serdes.bytes(), valueSerde: serdes.bytes() });

  // Left side: updates → subscriptions, through a topic partitioned by the foreign key (as the right table is).
  const subscriptionTopic = `${name}-subscription`;
  graph.add({
    kind: "processor",
    name: send,
    supplier: () =>
      new SubscriptionSendProcessor({
        kind,
        extractor,
        foreignKeySerde: foreignKey,
        leftValueSerde: leftValue,
        foreignKeyStore: foreignKeys,
        joiner: joiner,
        subscriptionChild: `${subscriptionTopic}-repartition-sink`,
        resultChild: result,
        hashTopic,
      }),
    parents: [left.nodeName],
    children: [],
    stores: [foreignKeys],
  });
  const subscriptionSource = addRepartition(graph, send, { name: subscriptionTopic, keySerde: foreignKey, valueSerde: subscriptionSerde(leftKey), dropNullKeys: false });

  // Right side: subscriptions and right updates → answers, through a topic partitioned by the left key.
  const rightOptions = { subscriptionStore: subscriptions, foreignKeySerde: foreignKey, primaryKeySerde: leftKey, hashTopic };
  const receive = `${name}-subscription-receive`;
  const update = `${name}-foreign-update`;
  const respond = `${name}-respond`;
  graph.add({ kind: "processor", name: receive, supplier: () => new SubscriptionReceiveProcessor({ ...rightOptions, right: rightGetter }), parents: [subscriptionSource], children: [], stores: [subscriptions, ...rightGetter.stores] });
  graph.add({ kind: "processor", name: update, supplier: () => new ForeignTableUpdateProcessor(rightOptions), parents: [right.nodeName], children: [], stores: [subscriptions] });
  graph.add({ kind: "processor", name: respond, supplier: () => new PassThroughProcessor(), parents: [receive, update], children: [], stores: [] });
  const responseSource = addRepartition(graph, respond, { name: `${name}-response`, keySerde: leftKey, valueSerde: responseSerde(rightValue), dropNullKeys: false });

  // Left side again: answers for the row's current value → results, merged with the send node's own results.
  const resolve = `${name}-response-join`;
  graph.add({
    kind: "processor",
    name: resolve,
    supplier: () => new ResponseJoinProcessor({ kind, left: leftGetter, leftValueSerde: leftValue, joiner, hashTopic }),
    parents: [responseSource],
    children: [],
    stores: [...leftGetter.stores],
  });
  if (joined.store === undefined) {
    graph.add({ kind: "processor", name: result, supplier: () => new PassThroughProcessor(), parents: [send, resolve], children: [], stores: [] });
    return { node: result, store: undefined };
  }
  const store = joined.store;
  graph.addStore({ name: store, kind: "keyValue", keySerde: leftKey, valueSerde: need(joined.value, `${what} with { store: "${store}" } needs { value: serde }`), timestamped: true });
  graph.add({ kind: "processor", name: result, supplier: () => new TableSourceProcessor(store, true), parents: [send, resolve], children: [], stores: [store] });
  return { node: result, store };
}
