// KStream.mapValuesAsync: calls an async function per record with at most `concurrency` calls in flight per
// task, and forwards the results in input order, each with its input record's metadata. The task waits for
// every call to settle before it commits (see AsyncWork), so exactly-once holds.
import type { AsyncWork, DetachedContext, Processor, ProcessorContext } from "./processor.ts";
import type { RecordMetadata, StreamRecord } from "./record.ts";

class Call<K, V, VOut> {
  readonly record: StreamRecord<K, V>;
  readonly metadata: RecordMetadata | undefined;
  settled = false;
  result: VOut | undefined;
  constructor(record: StreamRecord<K, V>, metadata: RecordMetadata | undefined) {
    this.record = record;
    this.metadata = metadata;
  }
}

export class AsyncMapValuesProcessor<K, V, VOut> implements Processor<K, V, K, VOut>, AsyncWork {
  private readonly mapper: (value: V, key: K) => Promise<VOut> | VOut;
  private readonly concurrency: number;
  private context!: ProcessorContext<K, VOut> & DetachedContext;
  /** Calls in input order; those before `head` were forwarded. */
  private calls: Call<K, V, VOut>[] = [];
  private head = 0;
  private inFlight = 0;
  private failed = false;
  private closed = false;
  private waiters: (() => void)[] = [];

  constructor(mapper: (value: V, key: K) => Promise<VOut> | VOut, concurrency: number) {
    if (!Number.isSafeInteger(concurrency) || concurrency < 1) throw new RangeError(`mapValuesAsync needs a concurrency ≥ 1, got ${concurrency}`);
    this.mapper = mapper;
    this.concurrency = concurrency;
  }

  init(context: ProcessorContext<K, VOut>): void {
    this.context = context as ProcessorContext<K, VOut> & DetachedContext;
  }

  process(record: StreamRecord<K, V>): void {
    const call = new Call<K, V, VOut>(record, this.context.recordMetadata());
    // A synchronous throw is an ordinary processing error of this record.
    const pending = Promise.resolve(this.mapper(record.value, record.key));
    this.calls.push(call);
    this.inFlight++;
    pending.then(
      (result) => {
        call.settled = true;
        call.result = result;
        this.inFlight--;
        this.forwardReady();
        this.wake();
      },
      (err: unknown) => {
        this.inFlight--;
        if (!this.failed && !this.closed) this.context.failDetached(call.metadata, err);
        this.failed = true;
        this.wake();
      },
    );
  }

  saturated(): boolean {
    return this.inFlight >= this.concurrency;
  }

  async progress(): Promise<void> {
    if (this.inFlight === 0) return;
    await new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  async drain(): Promise<void> {
    while (this.inFlight > 0) await this.progress();
  }

  close(): void {
    this.closed = true;
  }

  /** Forwards the settled calls at the head of the queue, in input order. */
  private forwardReady(): void {
    if (this.failed || this.closed) return;
    const calls = this.calls;
    while (this.head < calls.length && calls[this.head]!.settled) {
      const call = calls[this.head]!;
      calls[this.head++] = undefined as unknown as Call<K, V, VOut>;
      const r = call.record;
      this.context.forwardDetached(call.metadata, { key: r.key, value: call.result, timestamp: r.timestamp, headers: r.headers });
    }
    if (this.head === calls.length) {
      this.calls = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > calls.length) {
      this.calls = calls.slice(this.head);
      this.head = 0;
    }
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}
