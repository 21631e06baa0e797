// Foreign-key table–table joins (KIP-213, Kafka Streams' foreignkeyjoin/): a left row joins the right row
// whose key its value names. The left side subscribes to that foreign key through a topic partitioned by it;
// the right side keeps the subscriptions and answers them, and answers again whenever the right row changes;
// the left side joins each answer with its current row, dropping answers to an older value (by hash).
import type { Serde } from "../serdes/serde.ts";
import { serdes } from "../serdes/serde.ts";
import type { KeyValueStore } from "../state/types.ts";
import { subscriptionKey, subscriptionPrefix, valueHash, type Subscription, type SubscriptionResponse } from "./foreign-key-wire.ts";
import type { Processor, ProcessorContext } from "./processor.ts";
import type { StreamRecord } from "./record.ts";
import type { TableValueGetter, TableValueGetterSupplier } from "./table-value-getter.ts";
import { isOutOfOrderVersion } from "./table-update.ts";

export type ForeignKeyJoinKind = "inner" | "left";

/** A row whose foreign key is null: kept in the foreign-key store as an empty value. */
const NO_FOREIGN_KEY = Buffer.alloc(0);

export interface SubscriptionSendOptions<K, VL, KO, VOut> {
  readonly kind: ForeignKeyJoinKind;
  readonly extractor: (value: VL, key: K) => KO | null | undefined;
  readonly foreignKeySerde: Serde<KO>;
  readonly leftValueSerde: Serde<VL>;
  /** Left key → the foreign key its row had (bytes; empty for null): what an update or delete unsubscribes from. */
  readonly foreignKeyStore: string;
  readonly joiner: (left: VL, right: null) => VOut;
  readonly subscriptionChild: string;
  readonly resultChild: string;
  /** The label serdes see as the topic when values are serialized for hashing. */
  readonly hashTopic: string;
}

/**
 * Left table updates → subscriptions (Kafka Streams' SubscriptionSendProcessorSupplier). Results that need no
 * right row go straight to the result: a delete's tombstone, and a null foreign key (left join: joined with null).
 */
export class SubscriptionSendProcessor<K, VL, KO, VOut> implements Processor<K, VL | null, unknown, unknown> {
  private readonly options: SubscriptionSendOptions<K, VL, KO, VOut>;
  private context!: ProcessorContext<unknown, unknown>;
  private foreignKeys!: KeyValueStore<K, Buffer>;

  constructor(options: SubscriptionSendOptions<K, VL, KO, VOut>) {
    this.options = options;
  }

  init(context: ProcessorContext<unknown, unknown>): void {
    this.context = context;
    this.foreignKeys = context.getStateStore<KeyValueStore<K, Buffer>>(this.options.foreignKeyStore);
  }

  process(record: StreamRecord<K, VL | null>): void {
    const { kind, extractor, foreignKeySerde, hashTopic } = this.options;
    if (record.key === null || record.key === undefined) {
      this.context.dropRecord("null key in a foreign-key join");
      return;
    }
    // A versioned table's out-of-order update does not change its current row (Kafka Streams drops it too).
    if (isOutOfOrderVersion(record)) return;
    const prior = this.foreignKeys.get(record.key);
    const hadForeignKey = prior !== undefined && prior.length > 0;
    if (record.value === null || record.value === undefined) {
      if (prior === undefined) return; // no row, no result: nothing to delete
      this.foreignKeys.delete(record.key);
      if (hadForeignKey) this.unsubscribe(record, prior);
      // An inner join had no result for a row without a foreign key.
      if (hadForeignKey || kind === "left") this.result(record, null);
      return;
    }
    const foreignKey = extractor(record.value, record.key);
    const bytes = foreignKey === null || foreignKey === undefined ? NO_FOREIGN_KEY : foreignKeySerde.serialize(foreignKey, hashTopic);
    const moved = hadForeignKey && !prior.equals(bytes);
    if (moved) this.unsubscribe(record, prior);
    this.foreignKeys.put(record.key, bytes);
    if (foreignKey === null || foreignKey === undefined) {
      if (kind === "left") this.result(record, this.options.joiner(record.value, null));
      else if (hadForeignKey) this.result(record, null);
      return;
    }
    const subscription: Subscription<K> = {
      kind: "subscribe",
      primaryKey: record.key,
      hash: valueHash(this.options.leftValueSerde.serialize(record.value, hashTopic)),
      // An inner join without a right row has no result; an answer "none" matters only when a result may
      // exist for an older foreign key of this row, which the answer must then delete.
      onlyIfFound: kind === "inner" && !moved,
    };
    this.context.forward({ key: foreignKey, value: subscription, timestamp: record.timestamp, headers: record.headers }, this.options.subscriptionChild);
  }

  private unsubscribe(record: StreamRecord<K, unknown>, prior: Buffer): void {
    const old = this.options.foreignKeySerde.deserialize(prior, this.options.hashTopic);
    const subscription: Subscription<K> = { kind: "unsubscribe", primaryKey: record.key, hash: null, onlyIfFound: false };
    this.context.forward({ key: old, value: subscription, timestamp: record.timestamp, headers: record.headers }, this.options.subscriptionChild);
  }

  private result(record: StreamRecord<K, unknown>, value: VOut | null): void {
    this.context.forward({ key: record.key, value, timestamp: record.timestamp, headers: record.headers }, this.options.resultChild);
  }
}

export interface RightSideOptions<K, KO> {
  /** [foreign key][primary key] → hash of the subscribing left value. */
  readonly subscriptionStore: string;
  readonly foreignKeySerde: Serde<KO>;
  readonly primaryKeySerde: Serde<K>;
  readonly hashTopic: string;
}

/** Subscriptions → the subscription store, answered with the right row (SubscriptionReceiveProcessorSupplier). */
export class SubscriptionReceiveProcessor<KO, K, VR> implements Processor<KO, Subscription<K>, K, SubscriptionResponse<VR>> {
  private readonly options: RightSideOptions<K, KO> & { readonly right: TableValueGetterSupplier<KO, VR> };
  private context!: ProcessorContext<K, SubscriptionResponse<VR>>;
  private subscriptions!: KeyValueStore<Buffer, Buffer>;
  private right!: TableValueGetter<KO, VR>;

  constructor(options: RightSideOptions<K, KO> & { readonly right: TableValueGetterSupplier<KO, VR> }) {
    this.options = options;
  }

  init(context: ProcessorContext<K, SubscriptionResponse<VR>>): void {
    this.context = context;
    this.subscriptions = context.getStateStore<KeyValueStore<Buffer, Buffer>>(this.options.subscriptionStore);
    this.right = this.options.right.get(context);
  }

  process(record: StreamRecord<KO, Subscription<K>>): void {
    const subscription = record.value;
    if (record.key === null || record.key === undefined || subscription === null || subscription === undefined) {
      this.context.dropRecord("null key or value in a foreign-key subscription");
      return;
    }
    const { foreignKeySerde, primaryKeySerde, hashTopic } = this.options;
    const key = subscriptionKey(foreignKeySerde.serialize(record.key, hashTopic), primaryKeySerde.serialize(subscription.primaryKey, hashTopic));
    if (subscription.kind === "unsubscribe") {
      this.subscriptions.delete(key);
      return;
    }
    this.subscriptions.put(key, subscription.hash ?? Buffer.alloc(0));
    const found = this.right.get(record.key);
    if (found === undefined && subscription.onlyIfFound) return;
    // Stamped with the later of the two rows (Kafka Streams' SubscriptionJoinProcessorSupplier).
    const timestamp = found === undefined ? record.timestamp : Math.max(record.timestamp, found.timestamp);
    this.context.forward({ key: subscription.primaryKey, value: { hash: subscription.hash, value: found?.value ?? null }, timestamp, headers: record.headers });
  }
}

/** Right table updates → an answer to every subscriber of the key (Kafka Streams' ForeignTableJoinProcessorSupplier). */
export class ForeignTableUpdateProcessor<KO, VR, K> implements Processor<KO, VR | null, K, SubscriptionResponse<VR>> {
  private readonly options: RightSideOptions<K, KO>;
  private context!: ProcessorContext<K, SubscriptionResponse<VR>>;
  private subscriptions!: KeyValueStore<Buffer, Buffer>;

  constructor(options: RightSideOptions<K, KO>) {
    this.options = options;
  }

  init(context: ProcessorContext<K, SubscriptionResponse<VR>>): void {
    this.context = context;
    this.subscriptions = context.getStateStore<KeyValueStore<Buffer, Buffer>>(this.options.subscriptionStore);
  }

  process(record: StreamRecord<KO, VR | null>): void {
    if (record.key === null || record.key === undefined || isOutOfOrderVersion(record)) return;
    const { foreignKeySerde, primaryKeySerde, hashTopic } = this.options;
    const prefix = subscriptionPrefix(foreignKeySerde.serialize(record.key, hashTopic));
    const value = record.value ?? null;
    for (const [key, hash] of this.subscriptions.prefixScan(prefix, serdes.bytes())) {
      const primaryKey = primaryKeySerde.deserialize(key.subarray(prefix.length), hashTopic);
      this.context.forward({ key: primaryKey, value: { hash: hash.length > 0 ? hash : null, value }, timestamp: record.timestamp, headers: record.headers });
    }
  }
}

export interface ResponseJoinOptions<VL, VR, VOut> {
  readonly kind: ForeignKeyJoinKind;
  readonly left: TableValueGetterSupplier<unknown, VL>;
  readonly leftValueSerde: Serde<VL>;
  readonly joiner: (left: VL, right: VR | null) => VOut;
  readonly hashTopic: string;
}

/** Answers → join results, for the left row's current value only (Kafka Streams' ResponseJoinProcessorSupplier). */
export class ResponseJoinProcessor<K, VL, VR, VOut> implements Processor<K, SubscriptionResponse<VR>, K, VOut | null> {
  private readonly options: ResponseJoinOptions<VL, VR, VOut>;
  private context!: ProcessorContext<K, VOut | null>;
  private left!: TableValueGetter<K, VL>;

  constructor(options: ResponseJoinOptions<VL, VR, VOut>) {
    this.options = options;
  }

  init(context: ProcessorContext<K, VOut | null>): void {
    this.context = context;
    this.left = this.options.left.get(context);
  }

  process(record: StreamRecord<K, SubscriptionResponse<VR>>): void {
    if (record.key === null || record.key === undefined || record.value === null || record.value === undefined) return;
    const row = this.left.get(record.key);
    const current = row?.value;
    const { hash, value } = record.value;
    // The row was deleted or changed since it subscribed: this answer is for a value that no longer exists
    // (its delete's tombstone went out already; its new value's answer is on its way).
    if (current === undefined || hash === null) return;
    if (!valueHash(this.options.leftValueSerde.serialize(current, this.options.hashTopic)).equals(hash)) return;
    const joined = value === null && this.options.kind === "inner" ? null : this.options.joiner(current, value);
    // The answer's timestamp, as Kafka Streams' ResponseJoinProcessorSupplier: the later of the subscribing and
    // the right rows for an answer to a subscription, the right row's for an answer to a right-side update.
    this.context.forward({ key: record.key, value: joined, timestamp: record.timestamp, headers: record.headers });
  }
}
