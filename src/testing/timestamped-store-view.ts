// The plain view of a timestamped key-value store (a KTable's store) that TopologyTestDriver.getKeyValueStore
// gives tests, as Kafka Streams' driver does: values without their timestamps. Writes stamp the wall clock.
import type { Serde } from "../serdes/serde.ts";
import type { KeyValueIterator, KeyValueStore, ValueAndTimestamp } from "../state/types.ts";

function* values<K, V>(rows: KeyValueIterator<K, ValueAndTimestamp<V>>): Generator<readonly [K, V]> {
  for (const [k, v] of rows) yield [k, v.value] as const;
}

export class TimestampedStoreView<K, V> implements KeyValueStore<K, V> {
  readonly name: string;
  private readonly inner: KeyValueStore<K, ValueAndTimestamp<V>>;
  private readonly now: () => number;

  constructor(inner: KeyValueStore<K, ValueAndTimestamp<V>>, now: () => number) {
    this.name = inner.name;
    this.inner = inner;
    this.now = now;
  }

  get(key: K): V | undefined {
    return this.inner.get(key)?.value;
  }
  put(key: K, value: V): void {
    this.inner.put(key, value === null || value === undefined ? (value as never) : { value, timestamp: this.now() });
  }
  putIfAbsent(key: K, value: V): V | undefined {
    return this.inner.putIfAbsent(key, { value, timestamp: this.now() })?.value;
  }
  delete(key: K): V | undefined {
    return this.inner.delete(key)?.value;
  }
  range(from: K | undefined, to: K | undefined): KeyValueIterator<K, V> {
    return values(this.inner.range(from, to));
  }
  prefixScan<P>(prefix: P, prefixSerde: Serde<P>): KeyValueIterator<K, V> {
    return values(this.inner.prefixScan(prefix, prefixSerde));
  }
  all(): KeyValueIterator<K, V> {
    return values(this.inner.all());
  }
  approximateNumEntries(): number {
    return this.inner.approximateNumEntries();
  }
}
