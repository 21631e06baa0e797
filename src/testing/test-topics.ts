// The driver's view of one topic: an input topic pipes typed records into the topology, an output topic
// reads what the topology wrote, in order (Kafka Streams' TestInputTopic and TestOutputTopic).
import type { Headers } from "../processor/record.ts";
import type { Serde } from "../serdes/serde.ts";

export interface TestRecord<K, V> {
  readonly key: K | null;
  readonly value: V | null;
  readonly timestamp: number;
  readonly headers: Headers;
}

export interface KeyValue<K, V> {
  readonly key: K | null;
  readonly value: V | null;
}

/** What an input topic needs of its driver: run one serialized record through the topology. */
export interface RecordPipe {
  pipe(topic: string, key: Buffer | null, value: Buffer | null, timestamp: number | undefined, headers: Headers): void;
}

export class TestInputTopic<K, V> {
  readonly name: string;
  private readonly driver: RecordPipe;
  private readonly keySerde: Serde<K>;
  private readonly valueSerde: Serde<V>;

  /** @internal Made by TopologyTestDriver.createInputTopic. */
  constructor(driver: RecordPipe, name: string, keySerde: Serde<K>, valueSerde: Serde<V>) {
    this.driver = driver;
    this.name = name;
    this.keySerde = keySerde;
    this.valueSerde = valueSerde;
  }

  /** Processes one record at once; without a timestamp it carries the driver's wall-clock time. */
  pipeInput(key: K | null, value: V | null, timestamp?: number, headers: Headers = {}): void {
    this.driver.pipe(
      this.name,
      key === null ? null : this.keySerde.serialize(key, this.name),
      value === null ? null : this.valueSerde.serialize(value, this.name),
      timestamp,
      headers,
    );
  }

  /** Pipes each record in order; `[key, value]` pairs, or records with their own timestamp and headers. */
  pipeRecordList(records: Iterable<readonly [K | null, V | null] | { key: K | null; value: V | null; timestamp?: number; headers?: Headers }>): void {
    for (const r of records) {
      if (Array.isArray(r)) this.pipeInput(r[0] as K | null, r[1] as V | null);
      else {
        const rec = r as { key: K | null; value: V | null; timestamp?: number; headers?: Headers };
        this.pipeInput(rec.key, rec.value, rec.timestamp, rec.headers);
      }
    }
  }
}

export interface WrittenRecord {
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly timestamp: number;
  readonly headers: Headers;
}

export class TestOutputTopic<K, V> {
  readonly name: string;
  private readonly records: readonly WrittenRecord[];
  private readonly keySerde: Serde<K>;
  private readonly valueSerde: Serde<V>;
  private position = 0;

  /** @internal Made by TopologyTestDriver.createOutputTopic over the list of records written to the topic. */
  constructor(name: string, records: readonly WrittenRecord[], keySerde: Serde<K>, valueSerde: Serde<V>) {
    this.name = name;
    this.records = records;
    this.keySerde = keySerde;
    this.valueSerde = valueSerde;
  }

  /** True when every record written so far has been read. */
  isEmpty(): boolean {
    return this.position >= this.records.length;
  }

  /** How many records are written and not yet read. */
  getQueueSize(): number {
    return this.records.length - this.position;
  }

  /** The next record; throws when there is none. */
  readRecord(): TestRecord<K, V> {
    const r = this.records[this.position];
    if (!r) throw new Error(`no record to read on output topic ${this.name}`);
    this.position++;
    return {
      key: r.key === null ? null : this.keySerde.deserialize(r.key, this.name),
      value: r.value === null ? null : this.valueSerde.deserialize(r.value, this.name),
      timestamp: r.timestamp,
      headers: r.headers,
    };
  }

  readKeyValue(): KeyValue<K, V> {
    const { key, value } = this.readRecord();
    return { key, value };
  }

  readValue(): V | null {
    return this.readRecord().value;
  }

  readRecordsToList(): TestRecord<K, V>[] {
    const out: TestRecord<K, V>[] = [];
    while (!this.isEmpty()) out.push(this.readRecord());
    return out;
  }

  readKeyValuesToList(): KeyValue<K, V>[] {
    return this.readRecordsToList().map(({ key, value }) => ({ key, value }));
  }

  readValuesToList(): (V | null)[] {
    return this.readRecordsToList().map((r) => r.value);
  }

  /** The latest value of each key read now (a table's final state); a null value removes the key. */
  readKeyValuesToMap(): Map<K, V> {
    const out = new Map<K, V>();
    for (const { key, value } of this.readRecordsToList()) {
      if (key === null) continue;
      if (value === null) out.delete(key);
      else out.set(key, value);
    }
    return out;
  }
}
