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

export class FlatMapProcessor<K, V, KOut, VOut> extends ForwardingProcessor<K, V, KOut, VOut> {
  private readonly mapper: (key: K, value: V) => Iterable<readonly [KOut, VOut]>;
  constructor(mapper: (key: K, value: V) => Iterable<readonly [KOut, VOut]>) {
    super();
    this.mapper = mapper;
  }
  process(record: StreamRecord<K, V>): void {
    for (const [key, value] of this.mapper(record.key, record.value)) {
      this.context.forward({ key, value, timestamp: record.timestamp, headers: record.headers });
    }
  }
}

export class FlatMapValuesProcessor<K, V, VOut> extends ForwardingProcessor<K, V, K, VOut> {
  private readonly mapper: (value: V, key: K) => Iterable<VOut>;
  constructor(mapper: (value: V, key: K) => Iterable<VOut>) {
    super();
    this.mapper = mapper;
  }
  process(record: StreamRecord<K, V>): void {
    for (const value of this.mapper(record.value, record.key)) {
      this.context.forward({ key: record.key, value, timestamp: record.timestamp, headers: record.headers });
    }
  }
}

/** A terminal operation: calls `action` and forwards nothing. */
export class ForeachProcessor<K, V> implements Processor<K, V, never, never> {
  private readonly action: (key: K, value: V) => void;
  constructor(action: (key: K, value: V) => void) {
    this.action = action;
  }
  process(record: StreamRecord<K, V>): void {
    this.action(record.key, record.value);
  }
}

/** split(): sends each record to the first branch whose predicate holds, or to the default branch, or drops it. */
export class BranchProcessor<K, V> extends ForwardingProcessor<K, V, K, V> {
  private readonly predicates: readonly ((key: K, value: V) => boolean)[];
  private readonly children: readonly string[];
  private readonly defaultChild: string | undefined;
  constructor(predicates: readonly ((key: K, value: V) => boolean)[], children: readonly string[], defaultChild: string | undefined) {
    super();
    this.predicates = predicates;
    this.children = children;
    this.defaultChild = defaultChild;
  }
  process(record: StreamRecord<K, V>): void {
    for (let i = 0; i < this.predicates.length; i++) {
      if (this.predicates[i]!(record.key, record.value)) {
        this.context.forward(record, this.children[i]);
        return;
      }
    }
    if (this.defaultChild !== undefined) this.context.forward(record, this.defaultChild);
  }
}

/** merge(), and a branch of split(): passes records on unchanged. */
export class PassThroughStreamProcessor<K, V> extends ForwardingProcessor<K, V, K, V> {
  process(record: StreamRecord<K, V>): void {
    this.context.forward(record);
  }
}
