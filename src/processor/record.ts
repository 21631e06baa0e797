// A record as processors see it: typed key and value, event timestamp, headers, and where it came from.

export type Headers = Record<string, Buffer | undefined>;

export interface StreamRecord<K, V> {
  readonly key: K;
  readonly value: V;
  /** Event time in epoch milliseconds. */
  readonly timestamp: number;
  readonly headers: Headers;
}

/** Where the record being processed was read from; absent for records a punctuator creates. */
export interface RecordMetadata {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
}
