// The stateless processors behind KStream's record-at-a-time operators.
import type { Processor, ProcessorContext } from "./processor.ts";
import type { StreamRecord } from "./record.ts";

/** A processor whose only job is to call `handle` and forward what it gives, without a closure per record. */
abstract class ForwardingProcessor<KIn, VIn, KOut, VOut> implements Processor<KIn, VIn, KOut, VOut> {
  protected context!: ProcessorContext<KOut, VOut>;
  init(context: ProcessorContext<KOut, VOut>): void {
    this.context = context;
  }
  abstract process(record: StreamRecord<KIn, VIn>): void;
}

export class MapValuesProcessor<K, V, VOut> extends ForwardingProcessor<K, V, K, VOut> {
  private readonly mapper: (value: V, key: K) => VOut;
  constructor(mapper: (value: V, key: K) => VOut) {
    super();
    this.mapper = mapper;
  }
  process(record: StreamRecord<K, V>): void {
    this.context.forward({
      key: record.key,
      value: this.mapper(record.value, record.key),
      timestamp: record.timestamp,
      headers: record.headers,
    });
  }
}

export class MapProcessor<K, V, KOut, VOut> extends ForwardingProcessor<K, V, KOut, VOut> {
  private readonly mapper: (key: K, value: V) => readonly [KOut, VOut];
  constructor(mapper: (key: K, value: V) => readonly [KOut, VOut]) {
    super();
    this.mapper = mapper;
  }
  process(record: StreamRecord<K, V>): void {
    const [key, value] = this.mapper(record.key, record.value);
    this.context.forward({ key, value, timestamp: record.timestamp, headers: record.headers });
  }
}

export class FilterProcessor<K, V> extends ForwardingProcessor<K, V, K, V> {
  private readonly predicate: (key: K, value: V) => boolean;
  private readonly keepWhen: boolean;
  constructor(predicate: (key: K, value: V) => boolean, keepWhen: boolean) {
    super();
    this.predicate = predicate;
    this.keepWhen = keepWhen;
  }
  process(record: StreamRecord<K, V>): void {
    if (this.predicate(record.key, record.value) === this.keepWhen) this.context.forward(record);
  }
}

export class PeekProcessor<K, V> extends ForwardingProcessor<K, V, K, V> {
  private readonly action: (key: K, value: V) => void;
  constructor(action: (key: K, value: V) => void) {
    super();
    this.action = action;
  }
  process(record: StreamRecord<K, V>): void {
    this.action(record.key, record.value);
    this.context.forward(record);
  }
}
