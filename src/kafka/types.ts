// Client-neutral shapes the runtime sees; nothing here mentions kafkajs, so the client can be replaced.

export type KafkaHeaders = Record<string, Buffer | undefined>;

/** A record as read from a partition: raw bytes, not yet deserialized. */
export interface ConsumedRecord {
  readonly topic: string;
  readonly partition: number;
  /** Offsets are int64; kept as decimal strings as the client gives them. */
  readonly offset: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly timestamp: number;
  readonly headers: KafkaHeaders;
}

/** A record to write; without a partition the Java-compatible murmur2 partitioner picks one from the key. */
export interface ProducedRecord {
  readonly topic: string;
  readonly partition?: number;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly timestamp: number;
  readonly headers: KafkaHeaders;
}

export interface TopicPartitionOffset {
  readonly topic: string;
  readonly partition: number;
  /** The offset of the next record to read (last processed + 1). */
  readonly offset: string;
}

/** Connection settings passed through to the Kafka client. */
export interface ClientSettings {
  readonly clientId: string;
  readonly brokers: readonly string[];
  readonly ssl?: boolean | { readonly rejectUnauthorized?: boolean; readonly ca?: string; readonly cert?: string; readonly key?: string };
  readonly sasl?: {
    readonly mechanism: "plain" | "scram-sha-256" | "scram-sha-512";
    readonly username: string;
    readonly password: string;
  };
  readonly connectionTimeoutMs: number;
  readonly requestTimeoutMs: number;
}

export interface TopicSpec {
  readonly name: string;
  readonly partitions: number;
  readonly replicationFactor?: number;
  readonly config?: Readonly<Record<string, string>>;
}
